namespace HeadlessVm.Core.Errors;

/// <summary>Browser console errors; their target is the bridge (a VM's bridge is named after the VM).</summary>
public static partial class HeadlessVmErrors
{
    public static HeadlessVmException BridgeNotFound(string name) => new(ErrorIds.BridgeNotFound, FailureKind.ObjectNotFound, name,
        $"There is no console bridge named '{name}'. Get-VncBridge lists the bridges there are; Start-VncBridge starts one.");

    /// <summary>A bridge's record (or its token line) is there but damaged; <paramref name="why"/> says how.</summary>
    public static HeadlessVmException BridgeRecordDamaged(string name, string file, string why) => new(ErrorIds.BridgeRecordDamaged, FailureKind.InvalidData, name,
        $"The console bridge '{name}' cannot be read back from '{file}': {why}. Stop-VncBridge {name} removes it; Start-VncBridge then makes a new one.");

    /// <summary>A console server's server.json is damaged, so whether a bridge can share it is unknown.</summary>
    public static HeadlessVmException ConsoleServerRecordDamaged(string name, string file, string why) => new(ErrorIds.ConsoleServerRecordDamaged, FailureKind.InvalidData, name,
        $"The console server on that port cannot be shared: its record '{file}' is damaged ({why}). " +
        "Choose another -WebPort, or stop the bridges it serves (Get-VncBridge | Stop-VncBridge) so that it is replaced.");

    public static HeadlessVmException BridgeNotRunning(string name) => new(ErrorIds.BridgeNotRunning, FailureKind.ResourceUnavailable, name,
        $"No console bridge is running for '{name}'. Run Start-VncBridge -Name {name} first.");

    public static HeadlessVmException BridgeExists(string name, string target) => new(ErrorIds.BridgeExists, FailureKind.ResourceExists, name,
        $"A bridge named '{name}' already runs, to {target}. Stop it with Stop-VncBridge, or choose another -BridgeName.");

    /// <summary>Start-VncBridge asked a running bridge for other settings; <paramref name="differences"/> are "Setting: running -> asked".</summary>
    public static HeadlessVmException BridgeSettingsDiffer(string name, IEnumerable<string> differences) => new(ErrorIds.BridgeSettingsDiffer, FailureKind.ResourceExists, name,
        $"The console bridge '{name}' already runs with other settings ({string.Join("; ", differences)}). " +
        $"Use -Force to replace it (its console URL changes and open consoles close), or Stop-VncBridge {name} first.");

    public static HeadlessVmException BridgeNameInUse(string name, string target) => new(ErrorIds.BridgeNameInUse, FailureKind.ResourceExists, name,
        $"'{name}' is the name of a VM. Give the bridge to {target} another -BridgeName.");

    /// <summary>The target is the text given as -Target.</summary>
    public static HeadlessVmException InvalidTarget(string target) => new(ErrorIds.InvalidTarget, FailureKind.InvalidArgument, target,
        $"'{target}' is not a VNC server address. Use host:port, such as 192.168.1.20:5901.");

    public static HeadlessVmException InvalidWebPort(string name, int? port) => new(ErrorIds.InvalidWebPort, FailureKind.InvalidArgument, name,
        $"Web port {port} is out of range (1 to 65535).");

    /// <summary><paramref name="why"/> says what holds the port and <paramref name="remedy"/> what to do.</summary>
    public static HeadlessVmException WebPortInUse(string name, string address, int port, string why, string remedy) => new(ErrorIds.WebPortInUse, FailureKind.ResourceUnavailable, name,
        $"Port {port} on {address} {why}. {remedy}");

    /// <summary>
    /// websockify exited non-zero before it detached: WebPortInUse when it could not bind, else
    /// WebsockifyStartFailed; <paramref name="reason"/> is the last line of its own message.
    /// </summary>
    public static NativeCommandException WebsockifyRefused(string name, string hostPort, bool portInUse, string reason, string program, int exitCode, string standardError) =>
        new(portInUse ? ErrorIds.WebPortInUse : ErrorIds.WebsockifyStartFailed, portInUse ? FailureKind.ResourceUnavailable : FailureKind.InvalidOperation, name,
            $"websockify refused to serve the console of '{name}' on {hostPort}: {reason}", program, exitCode, standardError);

    public static HeadlessVmException NoFreeWebPort(string name, string address, int first, int last) => new(ErrorIds.NoFreeWebPort, FailureKind.ResourceUnavailable, name,
        $"No free web port between {first} and {last} on {address}. Pass -WebPort.");

    public static HeadlessVmException NoVncNotInstalled(string name, string defaultRoot) => new(ErrorIds.NoVncNotInstalled, FailureKind.NotInstalled, name,
        $"The noVNC web client is not in {defaultRoot}. On Debian: apt-get install novnc, or pass -WebRoot.");

    /// <summary><paramref name="missing"/> are the files the page loads that the folder lacks, relative to it (vnc.html first when that is missing).</summary>
    public static HeadlessVmException InvalidWebRoot(string name, string root, IReadOnlyList<string> missing) => new(ErrorIds.InvalidWebRoot, FailureKind.ObjectNotFound, name,
        missing.Count > 0 && missing[0] == Console.NoVncClient.Page
            ? $"'{root}' has no vnc.html, so it is not a noVNC web client folder."
            : $"'{root}' is not a complete noVNC web client: vnc.html loads {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : string.Empty)}, which it lacks. " +
              "Point -WebRoot at the whole noVNC folder (with app/, core/ and vendor/).");

    public static HeadlessVmException KeyWithoutCertificate(string name) => new(ErrorIds.KeyWithoutCertificate, FailureKind.InvalidArgument, name,
        "-KeyPath needs -CertificatePath.");

    public static HeadlessVmException CertificateNotFound(string name, string file) => new(ErrorIds.CertificateNotFound, FailureKind.ObjectNotFound, name,
        $"'{file}' does not exist.");

    public static HeadlessVmException InvalidCertificate(string name, string certificate, string? key, Exception inner) => new(ErrorIds.InvalidCertificate, FailureKind.InvalidArgument, name,
        $"'{certificate}'{(key is null ? string.Empty : $" with '{key}'")} is not a PEM certificate with its private key: {inner.Message}" +
        (key is null ? " Pass the key file with -KeyPath." : string.Empty), inner);

    public static HeadlessVmException WebsockifyNotInstalled(string name) => new(ErrorIds.WebsockifyNotInstalled, FailureKind.NotInstalled, name,
        "websockify is not installed, so the browser console cannot be served. On Debian: apt-get install websockify novnc.");

    public static HeadlessVmException WebsockifyExitedEarly(string name, string logTail) => new(ErrorIds.WebsockifyExitedEarly, FailureKind.InvalidOperation, name,
        $"websockify reported that the console server started, but no websockify process was found for it. {logTail}");
}
