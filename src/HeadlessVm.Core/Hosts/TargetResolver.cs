using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Hosts;

/// <summary>
/// Turns a command's -ComputerName and -ConnectionUri into the places to ask, in the order given, each once:
/// <list type="bullet">
/// <item>neither: the folder store alone, as before there were hosts;</item>
/// <item>-ComputerName: "local" is the folder store, "*" every registered host and the folder store, a registered
/// name its URI, and any other host name <c>qemu+ssh://NAME/system</c>;</item>
/// <item>-ConnectionUri: each URI, shown under the name of the host registered with it, else its host part
/// ("localhost" for a URI with none);</item>
/// <item>both: pairs, the name labelling the URI at the same position (what a piped VM supplies).</item>
/// </list>
/// ssh URIs get <c>no_tty=1</c> (<see cref="LibvirtUri.WithoutPrompts"/>), so nothing ever prompts. Nothing is
/// opened here. Bad names and URIs are InvalidHostName, InvalidConnectionUri or HostNameUriMismatch.
/// </summary>
public sealed partial class TargetResolver
{
    /// <summary>The name shown for a URI that names no host, such as qemu:///system.</summary>
    public const string LocalhostName = "localhost";

    private readonly HostRegistry _hosts;

    public TargetResolver(HostRegistry hosts) => _hosts = hosts;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$")]
    private static partial Regex UriPattern();

    /// <summary>The places named; blank entries count as not given (an empty CSV cell).</summary>
    public IReadOnlyList<HostTarget> Resolve(IReadOnlyList<string?>? computerNames, IReadOnlyList<string?>? connectionUris)
    {
        var names = (computerNames ?? Array.Empty<string?>()).Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n!.Trim()).ToArray();
        var uris = (connectionUris ?? Array.Empty<string?>()).Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => u!.Trim()).ToArray();
        IEnumerable<HostTarget> targets;
        if (names.Length == 0 && uris.Length == 0)
        {
            targets = new[] { HostTarget.Local };
        }
        else if (uris.Length == 0)
        {
            targets = names.SelectMany(ByName);
        }
        else if (names.Length == 0)
        {
            targets = uris.Select(u => ForUri(u));
        }
        else if (names.Length == uris.Length)
        {
            targets = names.Zip(uris, (name, uri) => ForUri(uri, name));
        }
        else
        {
            throw HeadlessVmErrors.HostNameUriMismatch(string.Join(", ", names), names.Length, uris.Length);
        }

        return targets.DistinctBy(t => t.ConnectionUri ?? string.Empty).ToArray();
    }

    /// <summary>The target for one URI, labelled <paramref name="label"/>, else by the host registered with it, else by its host part.</summary>
    public HostTarget ForUri(string uri, string? label = null)
    {
        var normal = Normalise(uri);
        var name = label ?? _hosts.FindByUri(normal)?.Name ?? LibvirtUri.Host(normal) ?? LocalhostName;
        return new HostTarget(name, normal);
    }

    /// <summary>A host name alone: <c>qemu+ssh://NAME/system</c> with no_tty=1 (docs/uri.rst, "Remote URIs").</summary>
    public static string SshUri(string host) => LibvirtUri.WithoutPrompts($"qemu+ssh://{host}/system");

    /// <summary>
    /// The URI as HeadlessVm opens it: checked, with no_tty=1 for ssh. InvalidConnectionUri when it is not a URI, when its
    /// driver is not QEMU's (qemu; test, libvirt's test driver) or its transport is not one libvirt knows (ssh, libssh, libssh2,
    /// tls, tcp, unix, ext: libvirt docs/uri.rst, "Remote URIs"), and when its keyfile= names no readable file (ssh would
    /// otherwise skip it without a word and log in some other way, or not at all).
    /// </summary>
    public static string Normalise(string uri)
    {
        if (!UriPattern().IsMatch(uri))
        {
            throw HeadlessVmErrors.InvalidConnectionUri(uri, uri.Contains("://", StringComparison.Ordinal) ? "it has a space or a bad scheme" : "it has no '://'");
        }

        var scheme = uri[..uri.IndexOf("://", StringComparison.Ordinal)];
        var driver = scheme.Split('+', 2)[0];
        if (!Drivers.Contains(driver, StringComparer.Ordinal))
        {
            throw HeadlessVmErrors.InvalidConnectionUri(uri, $"'{driver}' is not a libvirt driver HeadlessVm drives (qemu, or libvirt's test driver, test)");
        }

        if (LibvirtUri.Transport(uri) is { } transport && !Transports.Contains(transport, StringComparer.Ordinal))
        {
            throw HeadlessVmErrors.InvalidConnectionUri(uri, $"'{transport}' is not a libvirt transport ({string.Join(", ", Transports)})");
        }

        CheckKeyFile(LibvirtUri.Parameter(uri, "keyfile"), why => HeadlessVmErrors.InvalidConnectionUri(uri, why, keyFile: true));
        return LibvirtUri.WithoutPrompts(uri);
    }

    /// <summary>
    /// Refuses a keyfile= that names no readable file, through <paramref name="refuse"/> (given "its keyfile ... ", what is wrong).
    /// ssh would warn on its stderr and go on without it; a key for a libvirt or console tunnel is checked before ssh runs.
    /// A relative path is refused: ssh would resolve it against whatever folder it was started in, not PowerShell's location.
    /// </summary>
    internal static void CheckKeyFile(string? keyFile, Func<string, HeadlessVmException> refuse)
    {
        if (keyFile is null)
        {
            return;
        }

        if (keyFile.Length == 0)
        {
            throw refuse("its keyfile= is empty");
        }

        if (!Path.IsPathRooted(keyFile))
        {
            throw refuse($"its keyfile '{keyFile}' is not an absolute path (ssh would look for it in the folder it starts in)");
        }

        try
        {
            using var _ = File.OpenRead(keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw refuse($"its keyfile '{keyFile}' cannot be read ({e.Message.TrimEnd('.')})");
        }
    }

    private static readonly string[] Drivers = { "qemu", "test" };
    private static readonly string[] Transports = { "ssh", "libssh", "libssh2", "tls", "tcp", "unix", "ext" };

    private IEnumerable<HostTarget> ByName(string name)
    {
        if (name == HostRegistry.All)
        {
            return _hosts.List().Select(h => new HostTarget(h.Name, h.Uri)).Append(HostTarget.Local);
        }

        if (string.Equals(name, VmInfo.LocalComputerName, StringComparison.OrdinalIgnoreCase))
        {
            return new[] { HostTarget.Local };
        }

        if (_hosts.Find(name) is { } registered)
        {
            return new[] { new HostTarget(registered.Name, registered.Uri) };
        }

        if (!HostRegistry.IsValidSshHost(name))
        {
            throw HeadlessVmErrors.InvalidHostName(name, "it is neither a registered host nor a host name to reach over ssh");
        }

        return new[] { new HostTarget(name, SshUri(name)) };
    }
}
