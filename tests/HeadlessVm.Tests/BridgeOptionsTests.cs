using System.Management.Automation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace HeadlessVm.Tests;

/// <summary>
/// Start-VncBridge's options on real websockify: a bridge's own name, a web root of one's own, a TLS
/// certificate with its key in the same file, each certificate refusal, and the clear-text warning for an
/// address other than loopback (shown in a network namespace of its own, so nothing listens outside).
/// </summary>
[Collection("PowerShell")]
public sealed class BridgeOptionsTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private static T P<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    /// <summary>A paused VM's VNC server, as host:port, to bridge to with -Target.</summary>
    private string VncServer()
    {
        var vm = _ps.Ok("New-HeadlessVm screen -Accelerator Tcg -MemoryMB 64 -Network None -Paused").Single();
        return $"127.0.0.1:{P<int>(vm, "VncPort")}";
    }

    [Fact]
    public async Task A_Target_bridge_takes_the_name_given_and_serves_the_web_root_given_on_loopback_without_a_warning()
    {
        var target = VncServer();
        var web = Directory.CreateDirectory(_ps.Work("web")).FullName;
        File.WriteAllText(Path.Combine(web, "vnc.html"), "<html>HVM-OWN-WEB-ROOT</html>");

        var r = _ps.Run($"Start-VncBridge -Target {target} -BridgeName my-console -WebRoot ./web -WebPort {FreePorts.Next()}");
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        var bridge = r.Output.Single();
        Assert.Equal("my-console", P<string>(bridge, "Name"));
        Assert.Equal(new[] { "my-console" }, _ps.Ok("Get-VncBridge").Select(b => P<string>(b, "Name")));
        Assert.Equal(Path.Combine(_ps.Paths.BridgesFolder, "my-console"), P<string>(bridge, "StatePath"));

        var url = P<Uri>(bridge, "Url");
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) })
        {
            Assert.Equal("<html>HVM-OWN-WEB-ROOT</html>", await http.GetStringAsync(url));
        }

        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url, ConsoleTestKit.TokenOf(url))));
        _ps.Ok("Stop-VncBridge my-console");
        Assert.Empty(_ps.Ok("Get-VncBridge"));
    }

    [Fact]
    public async Task A_certificate_with_its_key_in_the_same_file_serves_https_and_wss_only()
    {
        var target = VncServer();
        var (cert, key) = SelfSigned();
        File.WriteAllText(_ps.Work("combined.pem"), cert + key);

        var bridge = _ps.Ok($"Start-VncBridge -Target {target} -BridgeName tls -CertificatePath ./combined.pem -WebPort {FreePorts.Next()}").Single();
        Assert.True(P<bool>(bridge, "Secure"));
        var url = P<Uri>(bridge, "Url");
        Assert.Equal("https", url.Scheme);
        using (var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        using (var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) })
        {
            Assert.Contains("noVNC", await http.GetStringAsync(url));
        }

        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url, ConsoleTestKit.TokenOf(url))));
    }

    [Fact]
    public void Each_certificate_refusal_names_what_is_wrong_and_starts_nothing()
    {
        var target = VncServer();
        var (cert, key) = SelfSigned();
        var (_, otherKey) = SelfSigned();
        File.WriteAllText(_ps.Work("cert.pem"), cert);
        File.WriteAllText(_ps.Work("key.pem"), key);
        File.WriteAllText(_ps.Work("other-key.pem"), otherKey);

        // A certificate alone, its key nowhere: the message says where the key goes.
        var alone = Refused($"Start-VncBridge -Target {target} -BridgeName t1 -CertificatePath ./cert.pem", "InvalidCertificate", ErrorCategory.InvalidArgument, "t1");
        Assert.Contains("-KeyPath", alone.Exception.Message);
        // A key that is not the certificate's.
        var mismatched = Refused($"Start-VncBridge -Target {target} -BridgeName t2 -CertificatePath ./cert.pem -KeyPath ./other-key.pem", "InvalidCertificate", ErrorCategory.InvalidArgument, "t2");
        Assert.Contains("other-key.pem", mismatched.Exception.Message);
        // A key file that is not there, and a certificate file that is not there.
        Assert.Contains(_ps.Work("missing-key.pem"), Refused($"Start-VncBridge -Target {target} -BridgeName t3 -CertificatePath ./cert.pem -KeyPath ./missing-key.pem",
            "CertificateNotFound", ErrorCategory.ObjectNotFound, "t3").Exception.Message);
        Assert.Contains(_ps.Work("missing.pem"), Refused($"Start-VncBridge -Target {target} -BridgeName t4 -CertificatePath ./missing.pem",
            "CertificateNotFound", ErrorCategory.ObjectNotFound, "t4").Exception.Message);
        // A key without a certificate.
        Refused($"Start-VncBridge -Target {target} -BridgeName t5 -KeyPath ./key.pem", "KeyWithoutCertificate", ErrorCategory.InvalidArgument, "t5");

        Assert.Empty(_ps.Ok("Get-VncBridge"));
        Assert.False(Directory.Exists(_ps.Paths.ConsolesFolder) && Directory.EnumerateFileSystemEntries(_ps.Paths.ConsolesFolder).Any());
        Assert.DoesNotContain(LeftoverProcesses.Find(_ps.StateRoot), p => p.CommandLine.Contains("websockify", StringComparison.Ordinal));
    }

    [Fact]
    public void A_console_on_an_address_other_than_loopback_warns_that_it_is_clear_text_unless_it_has_a_certificate()
    {
        // A network of its own for one pwsh: lo, which also has 10.201.0.1. Nothing outside can reach it.
        var (cert, key) = SelfSigned();
        File.WriteAllText(_ps.Work("combined.pem"), cert + key);
        var script = $$"""
            $ErrorActionPreference = 'Stop'
            Import-Module '{{RepoPaths.Manifest}}'
            $plain = Start-VncBridge -Target 127.0.0.1:5999 -BridgeName wide -ListenAddress 10.201.0.1 -WebPort 6080 -WarningVariable plainWarnings -WarningAction SilentlyContinue
            $page = (Invoke-WebRequest -Uri $plain.Url -TimeoutSec 20).Content
            $secure = Start-VncBridge -Target 127.0.0.1:5999 -BridgeName wide-tls -ListenAddress 10.201.0.1 -WebPort 6443 -CertificatePath ./combined.pem -WarningVariable secureWarnings -WarningAction SilentlyContinue
            Get-VncBridge | Stop-VncBridge
            [pscustomobject]@{
                PlainState = "$($plain.State)"; PlainUrl = $plain.Url.AbsoluteUri; Served = $page -match 'noVNC'
                PlainWarnings = @($plainWarnings | ForEach-Object Message); SecureWarnings = @($secureWarnings | ForEach-Object Message)
                Left = @(Get-VncBridge).Count
            } | ConvertTo-Json -Compress
            """;
        var isolate = Path.Combine(RepoPaths.Root, "tests", "HeadlessVm.Tests", "Isolation", "isolate.sh");
        var r = Pwsh.Run(["-Command", script], _ps.WorkFolder, [("HEADLESSVM_HOME", _ps.StateRoot)], TimeSpan.FromMinutes(2), [isolate, "address", "10.201.0.1", "--"]);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout.Trim().Split('\n').Last());
        var o = json.RootElement;
        Assert.Equal("Running", o.GetProperty("PlainState").GetString());
        Assert.StartsWith("http://10.201.0.1:6080/", o.GetProperty("PlainUrl").GetString());
        Assert.True(o.GetProperty("Served").GetBoolean());
        var warning = Assert.Single(o.GetProperty("PlainWarnings").EnumerateArray()).GetString();
        Assert.Equal("The console of 'wide' listens on 10.201.0.1 without TLS: the token and the screen cross the network in clear text. Pass -CertificatePath to serve https.", warning);
        Assert.Empty(o.GetProperty("SecureWarnings").EnumerateArray());
        Assert.Equal(0, o.GetProperty("Left").GetInt32());
    }

    private ErrorRecord Refused(string script, string id, ErrorCategory category, string target)
    {
        var r = _ps.Run(script);
        Assert.Empty(r.Output);
        var error = Assert.Single(r.Errors);
        Assert.Equal(id, error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.Equal(target, error.TargetObject);
        return error;
    }

    /// <summary>A self-signed certificate for 127.0.0.1 and its key, as PEM (made here: the test needs no openssl).</summary>
    private static (string Certificate, string Key) SelfSigned()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var self = request.CreateSelfSigned(DateTimeOffset.Now.AddMinutes(-5), DateTimeOffset.Now.AddDays(1));
        return (self.ExportCertificatePem() + "\n", rsa.ExportPkcs8PrivateKeyPem() + "\n");
    }
}
