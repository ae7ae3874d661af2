namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// Facts about libvirt connection URIs, <c>driver[+transport]://[user@][host][:port]/[path][?params]</c>
/// (libvirt docs/uri.rst, "Remote URIs"). Pure string work: nothing is resolved or opened.
/// </summary>
public static class LibvirtUri
{
    /// <summary>The transport after '+' in the scheme (ssh, libssh, libssh2, tls, tcp, unix, ext), or null.</summary>
    public static string? Transport(string uri)
    {
        var scheme = Scheme(uri);
        var plus = scheme.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? null : scheme[(plus + 1)..];
    }

    /// <summary>The host name, without user and port; null for local URIs such as <c>qemu:///system</c>.</summary>
    public static string? Host(string uri)
    {
        var authority = Authority(uri);
        if (authority.Length == 0)
        {
            return null;
        }

        var at = authority.LastIndexOf('@');
        var host = at < 0 ? authority : authority[(at + 1)..];
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? host : host[1..close];
        }

        var colon = host.IndexOf(':', StringComparison.Ordinal);
        host = colon < 0 ? host : host[..colon];
        return host.Length == 0 ? null : host;
    }

    /// <summary>The user before '@' in the authority, or null.</summary>
    public static string? User(string uri)
    {
        var authority = Authority(uri);
        var at = authority.LastIndexOf('@');
        return at <= 0 ? null : Uri.UnescapeDataString(authority[..at]);
    }

    /// <summary>The port after the host, or null when none is given; -1 when it is not a port number (1-65535).</summary>
    public static int? Port(string uri)
    {
        var authority = Authority(uri);
        var at = authority.LastIndexOf('@');
        var hostPort = at < 0 ? authority : authority[(at + 1)..];
        var close = hostPort.StartsWith('[') ? hostPort.IndexOf(']', StringComparison.Ordinal) : -1;
        var colon = hostPort.IndexOf(':', close < 0 ? 0 : close);
        if (colon < 0)
        {
            return null;
        }

        return int.TryParse(hostPort[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            && port is > 0 and < 65536
            ? port
            : -1;
    }

    /// <summary>The path after the authority and before the query ("/system", "" when there is none).</summary>
    public static string PathOf(string uri)
    {
        var start = uri.IndexOf("://", StringComparison.Ordinal);
        var rest = start < 0 ? uri : uri[(start + 3)..];
        var slash = rest.IndexOfAny(new[] { '/', '?' });
        if (slash < 0 || rest[slash] == '?')
        {
            return string.Empty;
        }

        var query = rest.IndexOf('?', slash);
        return query < 0 ? rest[slash..] : rest[slash..query];
    }

    /// <summary>The names of the query's parameters, in order.</summary>
    public static IReadOnlyList<string> ParameterNames(string uri) =>
        Query(uri).Select(p => p.Split('=', 2)[0]).Where(n => n.Length > 0).ToArray();

    /// <summary>The value of query parameter <paramref name="name"/>, percent-decoded; null when it is not given.</summary>
    public static string? Parameter(string uri, string name) =>
        Query(uri).Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : string.Empty)).FirstOrDefault();

    /// <summary>
    /// True when the client reaches the daemon over a network transport: a transport other than unix, or a host
    /// name ("Either the transport or the hostname must be given in order to distinguish this from a local URI",
    /// docs/uri.rst). Keepalive is set on these connections only.
    /// </summary>
    public static bool IsRemote(string uri)
    {
        var transport = Transport(uri);
        return transport is not null ? transport != "unix" : Host(uri) is not null;
    }

    /// <summary>
    /// The URI with <c>no_tty=1</c> added for the ssh transport when it is not already given: libvirt then runs
    /// ssh with BatchMode, so ssh fails instead of asking for a password or a host-key confirmation on the
    /// terminal (docs/uri.rst, "ssh transport"). <c>no_verify</c> is left alone: its default, 0, keeps ssh's
    /// strict host key checking, and 1 would accept unknown keys. The libssh/libssh2 transports ask through
    /// the connection's auth callback instead, which HeadlessVm answers with a refusal; other URIs are returned
    /// unchanged.
    /// </summary>
    public static string WithoutPrompts(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (Transport(uri) != "ssh" || HasParameter(uri, "no_tty"))
        {
            return uri;
        }

        return uri + (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "no_tty=1";
    }

    /// <summary>True when the query string names <paramref name="name"/> (with or without a value).</summary>
    public static bool HasParameter(string uri, string name) => Query(uri).Any(p => p.Split('=')[0] == name);

    private static string[] Query(string uri)
    {
        var question = uri.IndexOf('?', StringComparison.Ordinal);
        return question < 0 ? Array.Empty<string>() : uri[(question + 1)..].Split('&');
    }

    private static string Scheme(string uri)
    {
        var end = uri.IndexOf("://", StringComparison.Ordinal);
        return end < 0 ? uri : uri[..end];
    }

    private static string Authority(string uri)
    {
        var start = uri.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
        {
            return string.Empty;
        }

        var rest = uri[(start + 3)..];
        var end = rest.IndexOfAny(new[] { '/', '?' });
        return end < 0 ? rest : rest[..end];
    }
}
