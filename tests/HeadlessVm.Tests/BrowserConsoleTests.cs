using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Management.Automation;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace HeadlessVm.Tests;

/// <summary>The console as a user sees it: Debian's chromium, driven by Playwright, opening the URL Get-VmConsoleUrl emits.</summary>
[Collection("PowerShell")]
public sealed class BrowserConsoleTests : IDisposable
{
    private const string Connected = "() => document.documentElement.classList.contains('noVNC_connected')";

    // Reads the noVNC canvas and a PNG (base64) drawn into a canvas of its own, and compares them pixel by pixel.
    internal const string Compare = """
        async (png) => {
          const c = document.querySelector('#noVNC_container canvas');
          const live = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          const img = new Image();
          img.src = 'data:image/png;base64,' + png;
          await img.decode();
          const o = document.createElement('canvas');
          o.width = img.width; o.height = img.height;
          const ctx = o.getContext('2d');
          ctx.drawImage(img, 0, 0);
          const shot = ctx.getImageData(0, 0, o.width, o.height).data;
          const lit = d => { let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 96) n++; return n / (d.length / 4); };
          let diff = 1;
          if (img.width === c.width && img.height === c.height) {
            let n = 0;
            for (let i = 0; i < live.length; i += 4) {
              const a = live[i] + live[i + 1] + live[i + 2], b = shot[i] + shot[i + 1] + shot[i + 2];
              if (Math.abs(a - b) > 192) n++;
            }
            diff = n / (live.length / 4);
          }
          return { canvasWidth: c.width, canvasHeight: c.height, shotWidth: img.width, shotHeight: img.height,
                   canvasLit: lit(live), shotLit: lit(shot), diff };
        }
        """;

    private readonly PowerShellSession _ps = new();
    private readonly ITestOutputHelper _output;

    public BrowserConsoleTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _ps.Dispose();

    [Fact]
    public async Task The_console_url_opens_in_chromium_onto_the_VMs_live_screen()
    {
        var url = (Uri)_ps.Ok(
            $"New-HeadlessVm con1 -KernelPath '{TestGuest.Kernel}' -InitrdPath '{TestGuest.Initrd}' -KernelArgument '{TestGuest.KernelArguments}' " +
            $"-MemoryMB 256 -Accelerator Tcg | Start-VncBridge -WebPort {FreePorts.Next()} | Get-VmConsoleUrl").Single().BaseObject;
        ConsoleTestKit.WaitForSerial(_ps.Paths.ForVm("con1").SerialLog, TestGuest.Ready, TimeSpan.FromSeconds(90));

        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.OpenAsync(url);
        await WaitConnected(page);
        Assert.StartsWith("Connected", (await page.TextContentAsync("#noVNC_status") ?? string.Empty).Trim());
        Assert.StartsWith("Connected (unencrypted)", (await page.TextContentAsync("#noVNC_status") ?? string.Empty).Trim());

        // The canvas shows what qemu's own screendump shows: same size, text on it, the same pixels (the
        // cursor blinks and the guest may still print, so compare until they agree or time runs out).
        JsonElement stats = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            var shot = (FileInfo)_ps.Ok($"Save-VmScreenshot con1 -Path shot{i}.png").Single().BaseObject;
            stats = await page.EvaluateAsync<JsonElement>(Compare, Convert.ToBase64String(await File.ReadAllBytesAsync(shot.FullName)));
            if (stats.GetProperty("diff").GetDouble() < 0.01 && stats.GetProperty("canvasLit").GetDouble() > 0.01)
            {
                break;
            }

            await Task.Delay(500);
        }

        _output.WriteLine("canvas vs screendump: " + stats);
        Assert.True(stats.GetProperty("canvasWidth").GetInt32() >= 640, stats.ToString());
        Assert.Equal(stats.GetProperty("shotWidth").GetInt32(), stats.GetProperty("canvasWidth").GetInt32());
        Assert.Equal(stats.GetProperty("shotHeight").GetInt32(), stats.GetProperty("canvasHeight").GetInt32());
        Assert.True(stats.GetProperty("canvasLit").GetDouble() > 0.01, "the canvas is blank: " + stats);
        Assert.True(stats.GetProperty("shotLit").GetDouble() > 0.01, "the screenshot is blank: " + stats);
        Assert.True(stats.GetProperty("diff").GetDouble() < 0.01, "the canvas does not show the VM's screen: " + stats);
    }

    [Fact]
    public async Task Without_the_password_in_the_fragment_noVNC_cannot_log_in_and_asks_for_credentials()
    {
        var url = (Uri)_ps.Ok($"New-HeadlessVm con2 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {FreePorts.Next()} | Get-VmConsoleUrl").Single().BaseObject;
        var withoutPassword = new Uri(url.GetLeftPart(UriPartial.Query));
        Assert.Equal(string.Empty, withoutPassword.Fragment);

        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.OpenAsync(withoutPassword);
        await page.WaitForFunctionAsync("() => document.getElementById('noVNC_credentials_dlg').classList.contains('noVNC_open')",
            null, new() { Timeout = 30000 });
        Assert.False(await page.EvaluateAsync<bool>(Connected));

        // A wrong password is refused by the VNC server.
        var wrong = new Uri(url.GetLeftPart(UriPartial.Query) + "#password=wrongpw1");
        var second = await chromium.OpenAsync(wrong);
        await second.WaitForFunctionAsync("() => /fail/i.test(document.getElementById('noVNC_status').textContent)", null, new() { Timeout = 30000 });
        Assert.False(await second.EvaluateAsync<bool>(Connected));
    }

    [Fact]
    public async Task With_a_certificate_the_console_is_https_and_wss_only_and_connects_in_chromium()
    {
        var cert = Path.Combine(_ps.WorkFolder, "cert.pem");
        var key = Path.Combine(_ps.WorkFolder, "key.pem");
        // A self-signed certificate made here, so the test needs no openssl binary.
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var self = request.CreateSelfSigned(DateTimeOffset.Now.AddMinutes(-5), DateTimeOffset.Now.AddDays(1));
            await File.WriteAllTextAsync(cert, self.ExportCertificatePem());
            await File.WriteAllTextAsync(key, rsa.ExportPkcs8PrivateKeyPem());
        }

        var bridge = _ps.Ok($"New-HeadlessVm con3 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {FreePorts.Next()} -CertificatePath cert.pem -KeyPath key.pem").Single();
        Assert.True((bool)bridge.Properties["Secure"].Value);
        var url = (Uri)_ps.Ok("Get-VmConsoleUrl con3").Single().BaseObject;
        Assert.Equal("https", url.Scheme);
        Assert.Contains("encrypt=1", url.Query);

        using (var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        using (var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) })
        {
            Assert.Contains("noVNC", await http.GetStringAsync(url));
            // Nothing in clear text: plain http on the same port gets no page.
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(new Uri($"http://{url.Authority}/vnc.html")));
        }

        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url, ConsoleTestKit.TokenOf(url))));

        await using var chromium = await HeadlessChromium.LaunchAsync(ignoreHttpsErrors: true);
        var page = await chromium.OpenAsync(url);
        await WaitConnected(page);
        Assert.StartsWith("Connected (encrypted)", (await page.TextContentAsync("#noVNC_status") ?? string.Empty).Trim());
    }

    private static Task WaitConnected(IPage page) => HeadlessChromium.WaitConnectedAsync(page);
}

/// <summary>Debian's chromium through Playwright's bundled driver; no browser is downloaded.</summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IBrowserContext _context;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser, IBrowserContext context)
    {
        _playwright = playwright;
        _browser = browser;
        _context = context;
    }

    public static async Task<HeadlessChromium> LaunchAsync(bool ignoreHttpsErrors = false)
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = new[]
                {
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                },
            });
            var context = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = ignoreHttpsErrors, ViewportSize = new() { Width = 1024, Height = 768 } });
            return new HeadlessChromium(playwright, browser, context);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Waits (30 s at most) until noVNC says it is connected; fails with noVNC's own status otherwise.</summary>
    public static async Task WaitConnectedAsync(IPage page)
    {
        try
        {
            await page.WaitForFunctionAsync("() => document.documentElement.classList.contains('noVNC_connected')", null, new() { Timeout = 30000 });
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException("noVNC did not connect; its status says: " + await page.TextContentAsync("#noVNC_status"));
        }
    }

    public async Task<IPage> OpenAsync(Uri url)
    {
        var page = await _context.NewPageAsync();
        // AbsoluteUri keeps the fragment and the escaping exactly as Get-VmConsoleUrl emitted them.
        await page.GotoAsync(url.AbsoluteUri);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await _context.CloseAsync();
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
