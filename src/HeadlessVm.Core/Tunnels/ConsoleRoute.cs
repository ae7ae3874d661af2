using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Core.Tunnels;

/// <summary>How this machine reaches the VNC servers of a host's VMs.</summary>
public enum ConsoleRouteKind
{
    /// <summary>They are on this machine (the folder store, qemu:///system): connect to them as they are.</summary>
    ThisMachine,

    /// <summary>Through an OpenSSH ControlMaster to the host and a forward per VM to that host's loopback.</summary>
    Ssh,

    /// <summary>Straight to the host over the network (-ConsoleVia Direct): VNC is not encrypted on the way.</summary>
    Direct,

    /// <summary>No way is known: libvirt is reached without ssh (tls, tcp) and the host has no -ConsoleVia.</summary>
    None,
}

/// <summary>
/// The way to a host's consoles: from its -ConsoleVia when it has one, else from its libvirt URI (an ssh transport is
/// used for the tunnels too; a URI without a network transport is this machine; tls, tcp and ext need -ConsoleVia).
/// </summary>
/// <param name="Ssh">Where the tunnels go, for <see cref="ConsoleRouteKind.Ssh"/>.</param>
/// <param name="DirectHost">The host's name or address in its URI, for <see cref="ConsoleRouteKind.Direct"/>; null when the URI names none.</param>
/// <param name="Source">Where the route comes from, for messages: "its libvirt URI" or "-ConsoleVia ...".</param>
public sealed record ConsoleRoute(ConsoleRouteKind Kind, SshDestination? Ssh, string? DirectHost, string Source)
{
    /// <summary>-ConsoleVia's word for connecting straight to the host's VNC servers.</summary>
    public const string Direct = "Direct";

    private const string SshScheme = "ssh://";
    private static readonly string[] ConsoleViaParameters = { "command", "keyfile" };

    /// <summary>The route of <paramref name="host"/>, whose registration says <paramref name="consoleVia"/> (null when it says nothing).</summary>
    public static ConsoleRoute For(HostTarget host, string? consoleVia)
    {
        if (consoleVia is not null)
        {
            var via = $"-ConsoleVia {consoleVia}";
            return string.Equals(consoleVia, Direct, StringComparison.OrdinalIgnoreCase)
                ? new ConsoleRoute(ConsoleRouteKind.Direct, null, host.ConnectionUri is { } u ? LibvirtUri.Host(u) : null, via)
                : new ConsoleRoute(ConsoleRouteKind.Ssh, SshDestination.FromUri(consoleVia), null, via);
        }

        const string fromUri = "its libvirt URI";
        if (host.IsThisMachine)
        {
            return new ConsoleRoute(ConsoleRouteKind.ThisMachine, null, null, fromUri);
        }

        var uri = host.ConnectionUri!;
        return LibvirtUri.Transport(uri) is "ssh" or "libssh" or "libssh2" && SshDestination.FromUri(uri) is { } ssh
            ? new ConsoleRoute(ConsoleRouteKind.Ssh, ssh, null, fromUri)
            : new ConsoleRoute(ConsoleRouteKind.None, null, null, fromUri);
    }

    /// <summary>
    /// A -ConsoleVia value as it is kept: "Direct", or <c>ssh://[user@]host[:port][?keyfile=PATH&amp;command=PROGRAM]</c> with
    /// nothing else; InvalidConsoleVia (target: <paramref name="hostName"/>) for anything else.
    /// </summary>
    public static string ParseConsoleVia(string hostName, string value)
    {
        var trimmed = value.Trim();
        if (string.Equals(trimmed, Direct, StringComparison.OrdinalIgnoreCase))
        {
            return Direct;
        }

        if (!trimmed.StartsWith(SshScheme, StringComparison.OrdinalIgnoreCase))
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, "it is neither Direct nor an ssh:// URI");
        }

        var normal = SshScheme + trimmed[SshScheme.Length..];
        if (normal.Any(char.IsWhiteSpace) || LibvirtUri.Host(normal) is null)
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, "it names no host");
        }

        // user@host[:port]: ssh gets the user and host as arguments, so a password would show in ps, and a host
        // beginning with '-' would read as an option.
        var rest = normal[SshScheme.Length..];
        var authority = rest[..(rest.IndexOfAny(['/', '?', '#']) is var end and >= 0 ? end : rest.Length)];
        var at = authority.LastIndexOf('@');
        if (at >= 0 && authority[..at].Contains(':'))
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, "it carries a password; ssh logs in with keys only (keyfile=PATH), never a password");
        }

        if (authority[(at + 1)..].StartsWith('-'))
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, "its host begins with '-'");
        }

        if (normal.Contains('#'))
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, "it has a fragment (#...); an ssh endpoint has none");
        }

        if (LibvirtUri.Port(normal) is -1)
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, "its port is not a number from 1 to 65535");
        }

        if (LibvirtUri.PathOf(normal) is { Length: > 0 } path && path != "/")
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, $"it has a path ({path}); an ssh endpoint has none");
        }

        if (LibvirtUri.ParameterNames(normal).FirstOrDefault(p => !ConsoleViaParameters.Contains(p)) is { } unknown)
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, $"'{unknown}' is not one of its parameters (keyfile, command)");
        }

        var names = LibvirtUri.ParameterNames(normal);
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, $"'{twice.Key}' is given twice");
        }

        if (names.FirstOrDefault(n => string.IsNullOrEmpty(LibvirtUri.Parameter(normal, n))) is { } empty)
        {
            throw HeadlessVmErrors.InvalidConsoleVia(hostName, value, $"'{empty}' has no value");
        }

        return normal;
    }
}
