namespace HeadlessVm.Core.Errors;

/// <summary>
/// Consoles across hosts: the route to a host's VNC servers (-ConsoleVia) and the ssh tunnels along it. The target is
/// the VM's name for a console that cannot be reached and the host's name for the host's route or master.
/// </summary>
public static partial class HeadlessVmErrors
{
    /// <summary><paramref name="uri"/> is the host's libvirt URI, which reaches libvirt without ssh.</summary>
    public static HeadlessVmException ConsoleNeedsTunnel(string name, string host, string uri) => new(ErrorIds.ConsoleNeedsTunnel, FailureKind.InvalidOperation, name,
        $"The screen of VM '{name}' is served on {host}'s own loopback, and {host} is reached without ssh ({uri}), so HeadlessVm knows no way to it. " +
        $"Say how: Connect-HeadlessVmHost {host} -Uri '{uri}' -ConsoleVia ssh://USER@{host} -Force (a tunnel through ssh; VNC stays on {host}'s loopback), " +
        "or -ConsoleVia Direct (straight to the VM's VNC, unencrypted on the network: the VM must listen on an address this machine reaches).");

    public static HeadlessVmException InvalidConsoleVia(string host, string value, string why) => new(ErrorIds.InvalidConsoleVia, FailureKind.InvalidArgument, host,
        $"'{value}' cannot say how to reach the consoles of {host}: {why}. Use Direct, or ssh://[USER@]HOST[:PORT] with optional ?keyfile=PATH&command=PROGRAM.");

    /// <summary><paramref name="why"/> says what stands in the way; <paramref name="remedy"/> what to do.</summary>
    public static HeadlessVmException ConsoleNotReachable(string name, string host, string why, string remedy) => new(ErrorIds.ConsoleNotReachable, FailureKind.InvalidOperation, name,
        $"The screen of VM '{name}' on {host} cannot be reached directly: {why}. {remedy}");

    /// <summary>ssh refused to make or use a tunnel; <paramref name="what"/> says which step, <paramref name="said"/> is ssh's own message.</summary>
    public static NativeCommandException ConsoleTunnelFailed(string target, string host, string what, string said, string program, int exitCode) =>
        new(ErrorIds.ConsoleTunnelFailed, FailureKind.ConnectionError, target,
            $"The ssh tunnel to {host} could not {what}: {(string.IsNullOrWhiteSpace(said) ? $"{program} exited with code {exitCode} and said nothing" : said.Trim())}",
            program, exitCode, said);

    /// <summary>
    /// ssh could not log in to <paramref name="host"/> for its console tunnel, for a reason ssh's own words tell
    /// (<see cref="Hosts.SshMessages"/>: HostKeyNotTrusted, HostAuthenticationFailed, HostUnknown, HostUnreachable).
    /// </summary>
    public static NativeCommandException SshLoginFailed(string id, FailureKind kind, string host, string destination, string said, string? remedy, string program, int exitCode) =>
        new(id, kind, host,
            $"The console tunnel to {host} ({destination}) could not be opened: {said.Trim()}{(remedy is null ? string.Empty : " " + remedy)}",
            program, exitCode, said);
}
