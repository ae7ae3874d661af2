using HeadlessVm.Core.Hosts;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Console;

/// <summary>
/// What Start-VncBridge asks for. Exactly one of <see cref="VmName"/> and <see cref="Target"/> is set. A
/// null setting was not given (the default applies, and an existing bridge is not held to it); paths are
/// absolute. <see cref="Force"/> replaces an existing bridge whose settings differ from those given.
/// </summary>
public sealed record BridgeRequest(
    string? VmName,
    string? Target,
    string? Name,
    int? WebPort,
    string? ListenAddress,
    string? WebRoot,
    string? CertificatePath,
    string? KeyPath,
    bool Force = false)
{
    /// <summary>Where <see cref="VmName"/> lives; the folder store when null.</summary>
    public HostTarget? Host { get; init; }
}

/// <summary>
/// The checks of a console server's settings before anything starts: the listen address, the noVNC web
/// root, the TLS certificate and key, the web port, and websockify itself. websockify only reads the web
/// root and certificate when a browser connects, so without these a broken console would look started.
/// </summary>
public static class ConsoleSettings
{
    /// <summary>Where Debian's novnc package installs the web client.</summary>
    public const string DefaultWebRoot = "/usr/share/novnc";

    /// <summary>Where a console server listens when no address is given: loopback only.</summary>
    public const string DefaultListenAddress = "127.0.0.1";

    /// <summary>The settings <paramref name="request"/> asks for, checked; the port is the requested one or the default.</summary>
    public static ConsoleServerRecord Check(string name, BridgeRequest request)
    {
        var listenAddress = request.ListenAddress ?? DefaultListenAddress;
        if (string.IsNullOrWhiteSpace(listenAddress) || listenAddress.Any(char.IsWhiteSpace) || listenAddress.Contains('/'))
        {
            throw HeadlessVmErrors.InvalidListenAddress(name, listenAddress);
        }

        var webRoot = FindWebRoot(name, request.WebRoot);
        var (cert, key) = CheckCertificate(name, request.CertificatePath, request.KeyPath);
        if (NativeRunner.FindExecutable(WebsockifyArguments.Program) is null)
        {
            throw HeadlessVmErrors.WebsockifyNotInstalled(name);
        }

        if (request.WebPort is < 1 or > 65535)
        {
            throw HeadlessVmErrors.InvalidWebPort(name, request.WebPort);
        }

        return new ConsoleServerRecord(listenAddress, request.WebPort ?? ConsoleServers.DefaultWebPort, webRoot, cert, key, DateTimeOffset.Now);
    }

    /// <summary>
    /// The settings <paramref name="request"/> gives explicitly that <paramref name="existing"/> (a running
    /// bridge) does not have, as "Setting: running value -> asked value"; empty when it can be returned as
    /// it is. <paramref name="wanted"/> is the request checked (its paths resolved).
    /// </summary>
    public static IReadOnlyList<string> Differences(BridgeRequest request, ConsoleServerRecord wanted, VncBridgeRecord existing)
    {
        var differences = new List<string>();
        void Compare(string setting, bool given, string? running, string? asked)
        {
            if (given && running != asked)
            {
                differences.Add($"{setting}: {running ?? "(none)"} -> {asked ?? "(none)"}");
            }
        }

        Compare("ListenAddress", request.ListenAddress is not null, existing.ListenAddress, wanted.ListenAddress);
        Compare("WebPort", request.WebPort is not null, existing.WebPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            wanted.WebPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Compare("WebRoot", request.WebRoot is not null, existing.WebRoot, wanted.WebRoot);
        Compare("CertificatePath", request.CertificatePath is not null, existing.CertificatePath, wanted.CertificatePath);
        Compare("KeyPath", request.KeyPath is not null, existing.KeyPath, wanted.KeyPath);
        return differences;
    }

    /// <summary>The web root, checked for every file the noVNC page loads (<see cref="NoVncClient.MissingFiles"/>), not just vnc.html.</summary>
    private static string FindWebRoot(string name, string? requested)
    {
        var root = Path.GetFullPath(requested ?? DefaultWebRoot);
        var missing = NoVncClient.MissingFiles(root);
        if (missing.Count > 0)
        {
            throw requested is null && missing[0] == NoVncClient.Page
                ? HeadlessVmErrors.NoVncNotInstalled(name, DefaultWebRoot)
                : HeadlessVmErrors.InvalidWebRoot(name, root, missing);
        }

        return root;
    }

    private static (string? Cert, string? Key) CheckCertificate(string name, string? certificate, string? key)
    {
        if (certificate is null)
        {
            return key is null ? (null, null) : throw HeadlessVmErrors.KeyWithoutCertificate(name);
        }

        var cert = Path.GetFullPath(certificate);
        var keyPath = key is null ? null : Path.GetFullPath(key);
        foreach (var file in new[] { cert, keyPath }.OfType<string>())
        {
            if (!File.Exists(file))
            {
                throw HeadlessVmErrors.CertificateNotFound(name, file);
            }
        }

        try
        {
            using var x509 = X509Certificate2.CreateFromPemFile(cert, keyPath);
            if (!x509.HasPrivateKey)
            {
                throw new CryptographicException("no private key");
            }
        }
        catch (CryptographicException ex)
        {
            throw HeadlessVmErrors.InvalidCertificate(name, cert, keyPath, ex);
        }

        return (cert, keyPath);
    }
}
