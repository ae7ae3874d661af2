using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Core.Tunnels;

/// <summary>
/// Where and how OpenSSH logs in for a host's console tunnel: the ssh program, the host, and the user, port, key and
/// known_hosts file when given. Taken from the host's libvirt URI (<c>qemu+ssh://[user@]host[:port]/system?keyfile=...&amp;command=...</c>,
/// the parameters libvirt's ssh transport reads, docs/uri.rst) or from <c>-ConsoleVia ssh://[user@]host[:port][?keyfile=...&amp;command=...]</c>.
/// </summary>
/// <param name="Program">The ssh program: "ssh" (found in PATH), or the URI's command= (libvirt runs that program the same way).</param>
/// <param name="KnownHostsFile">The known_hosts= of a qemu+libssh(2):// URI, which libvirt's own ssh client reads; null to use ssh's own.</param>
public sealed record SshDestination(string Program, string Host, string? User, int? Port, string? KeyFile, string? KnownHostsFile)
{
    /// <summary>The program libvirt's ssh transport runs when the URI names none.</summary>
    public const string DefaultProgram = "ssh";

    /// <summary>
    /// The destination of an ssh-transport libvirt URI (ssh, libssh, libssh2) or of an ssh:// console endpoint; null when
    /// it names no host. command= counts for qemu+ssh:// and ssh:// only (the libssh transports run no program).
    /// </summary>
    public static SshDestination? FromUri(string uri)
    {
        if (LibvirtUri.Host(uri) is not { } host)
        {
            return null;
        }

        var transport = LibvirtUri.Transport(uri);
        var runsProgram = transport is "ssh" || uri.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase);
        var program = runsProgram ? LibvirtUri.Parameter(uri, "command") : null;
        var port = LibvirtUri.Port(uri);
        return new SshDestination(
            string.IsNullOrEmpty(program) ? DefaultProgram : program,
            host,
            LibvirtUri.User(uri),
            port is > 0 ? port : null,
            NullIfEmpty(LibvirtUri.Parameter(uri, "keyfile")),
            transport is "libssh" or "libssh2" ? NullIfEmpty(LibvirtUri.Parameter(uri, "known_hosts")) : null);
    }

    /// <summary>How people read it: [user@]host[:port].</summary>
    public string Display => (User is null ? string.Empty : User + "@") + (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) +
        (Port is { } port ? ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty);

    /// <summary>The options that say whom ssh logs in as and with what: -p, -l, -i, UserKnownHostsFile (those given).</summary>
    public IReadOnlyList<string> LoginOptions()
    {
        var options = new List<string>();
        if (Port is { } port)
        {
            options.AddRange(new[] { "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        if (User is not null)
        {
            options.AddRange(new[] { "-l", User });
        }

        if (KeyFile is not null)
        {
            options.AddRange(new[] { "-i", KeyFile });
        }

        if (KnownHostsFile is not null)
        {
            options.AddRange(new[] { "-o", "UserKnownHostsFile=" + KnownHostsFile });
        }

        return options;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
