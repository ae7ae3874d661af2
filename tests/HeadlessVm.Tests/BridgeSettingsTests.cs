using System.Management.Automation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>
/// Settings given to Start-VncBridge are never ignored: a running bridge with other settings is refused
/// with the differences named, or replaced with -Force; and a web root is checked for what vnc.html loads.
/// </summary>
[Collection("PowerShell")]
public sealed class BridgeSettingsTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private static T P<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    private void MakeCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var self = request.CreateSelfSigned(DateTimeOffset.Now.AddMinutes(-5), DateTimeOffset.Now.AddDays(1));
        File.WriteAllText(Path.Combine(_ps.WorkFolder, "cert.pem"), self.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_ps.WorkFolder, "key.pem"), rsa.ExportPkcs8PrivateKeyPem());
    }

    [Fact]
    public void A_running_bridge_asked_for_other_settings_is_refused_naming_them_or_replaced_with_Force()
    {
        MakeCertificate();
        var (port, otherPort) = (FreePorts.Next(), FreePorts.Next());
        var first = _ps.Ok($"New-HeadlessVm bs1 -MemoryMB 32 -Network None -Accelerator Tcg -Paused | Start-VncBridge -WebPort {port}").Single();
        var firstUrl = P<Uri>(first, "Url");
        var firstPid = P<int>(first, "ProcessId");

        // Asked again with nothing, or with the same settings: the same bridge, untouched.
        Assert.Equal(firstUrl, P<Uri>(_ps.Ok("Start-VncBridge bs1").Single(), "Url"));
        Assert.Equal(firstUrl, P<Uri>(_ps.Ok($"Start-VncBridge bs1 -WebPort {port} -ListenAddress 127.0.0.1").Single(), "Url"));

        // The issue's case: another port and a certificate are not silently dropped.
        var refused = _ps.Run($"Start-VncBridge bs1 -WebPort {otherPort} -CertificatePath cert.pem -KeyPath key.pem");
        Assert.Empty(refused.Output);
        var error = Assert.Single(refused.Errors);
        Assert.Equal("BridgeSettingsDiffer", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
        Assert.Equal("bs1", error.TargetObject);
        Assert.Contains($"WebPort: {port} -> {otherPort}", error.Exception.Message);
        Assert.Contains($"CertificatePath: (none) -> {Path.Combine(_ps.WorkFolder, "cert.pem")}", error.Exception.Message);
        Assert.Contains("-Force", error.Exception.Message);
        Assert.Contains("ListenAddress: 127.0.0.1 -> 127.0.0.2", Assert.Single(_ps.Run("Start-VncBridge bs1 -ListenAddress 127.0.0.2").Errors).Exception.Message);
        Assert.Equal(firstUrl, P<Uri>(_ps.Ok("Get-VncBridge bs1").Single(), "Url"));

        // -Force replaces it: https on the new port, a new token; the old server (it served only this bridge) stops.
        var replaced = _ps.Ok($"Start-VncBridge bs1 -WebPort {otherPort} -CertificatePath cert.pem -KeyPath key.pem -Force").Single();
        var url = P<Uri>(replaced, "Url");
        Assert.Equal("https", url.Scheme);
        Assert.Equal(otherPort, url.Port);
        Assert.True(P<bool>(replaced, "Secure"));
        Assert.NotEqual(ConsoleTestKit.TokenOf(firstUrl), ConsoleTestKit.TokenOf(url));
        ConsoleTestKit.AssertDead(firstPid);
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url, ConsoleTestKit.TokenOf(url))));
        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url, ConsoleTestKit.TokenOf(firstUrl))));
        _ps.Ok("Stop-HeadlessVm bs1 -Force");
        ConsoleTestKit.AssertDead(P<int>(replaced, "ProcessId"));
    }

    [Fact]
    public void A_web_root_that_lacks_what_vnc_html_loads_is_refused_before_websockify_starts()
    {
        // A copy of noVNC without app/: vnc.html is there, the page could never start.
        var root = Path.Combine(_ps.WorkFolder, "novnc");
        foreach (var file in Directory.EnumerateFiles("/usr/share/novnc", "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath("/usr/share/novnc", file);
            if (!relative.StartsWith("app/", StringComparison.Ordinal))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, relative))!);
                File.Copy(file, Path.Combine(root, relative));
            }
        }

        var webPort = FreePorts.Next();
        var r = _ps.Run($"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName wr1 -WebRoot ./novnc -WebPort {webPort}");
        var error = Assert.Single(r.Errors);
        Assert.Equal("InvalidWebRoot", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("app/error-handler.js", error.Exception.Message);
        Assert.Contains("app/ui.js", error.Exception.Message);
        Assert.Empty(LeftoverProcesses.Find(_ps.StateRoot));
        Assert.True(Ports.IsFree("127.0.0.1", webPort));
    }
}
