using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>Console bridges on real qemu and real websockify, driven through the in-process runspace.</summary>
[Collection("PowerShell")]
public sealed class ConsoleBridgeTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private static T P<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    private string VmFolder(string name) => _ps.Paths.ForVm(name).Folder;

    [Fact]
    public async Task New_HeadlessVm_piped_to_Start_VncBridge_and_Get_VmConsoleUrl_yields_a_uri_that_a_detached_websockify_serves()
    {
        var url = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort 16081 | Get-VmConsoleUrl").Single().BaseObject;
        var uri = Assert.IsType<Uri>(url);
        Assert.Equal("http", uri.Scheme);
        Assert.Equal("127.0.0.1", uri.Host);
        Assert.Equal(16081, uri.Port);
        Assert.Equal("/vnc.html", uri.AbsolutePath);
        Assert.Contains("autoconnect=1", uri.Query);
        Assert.Contains("resize=scale", uri.Query);
        var password = File.ReadAllText(_ps.Paths.ForVm("b1").VncPasswordFile).Trim();
        Assert.Equal("#password=" + password, uri.Fragment);
        Assert.DoesNotContain(password, uri.Query);

        var bridge = _ps.Ok("Get-VncBridge -VmName b1").Single();
        Assert.Equal("b1", P<string>(bridge, "VmName"));
        Assert.Equal("Running", bridge.Properties["State"].Value.ToString());
        Assert.Equal("127.0.0.1", P<string>(bridge, "ListenAddress"));
        Assert.Equal(16081, P<int>(bridge, "WebPort"));
        Assert.Equal($"127.0.0.1:{P<int>(_ps.Ok("Get-HeadlessVm b1").Single(), "VncPort")}", P<string>(bridge, "Target"));
        Assert.True(P<bool>(bridge, "TokenRequired"));
        Assert.False(P<bool>(bridge, "Secure"));
        Assert.Equal(uri, P<Uri>(bridge, "Url"));

        // At the prompt it prints as the URL itself, whole, on one line; to scripts it is a [uri].
        var printed = _ps.Ok("Get-VmConsoleUrl b1 | Out-String -Width 400").Single().ToString().Trim();
        Assert.Equal(uri.AbsoluteUri, printed);
        Assert.Equal(true, _ps.Ok("(Get-VmConsoleUrl b1) -is [uri]").Single().BaseObject);

        // websockify is detached: its own session, not a child of this process, and its argv is a list.
        var pid = P<int>(bridge, "ProcessId");
        var argv = ProcessInfo.CommandLine(pid)!;
        Assert.Contains("--token-plugin", argv);
        Assert.Contains("127.0.0.1:16081", argv);
        Assert.NotEqual(Environment.ProcessId, ConsoleTestKit.ParentOf(pid));
        Assert.NotEqual(ConsoleTestKit.SessionOf(Environment.ProcessId), ConsoleTestKit.SessionOf(pid));

        using (var http = new HttpClient())
        {
            var page = await http.GetStringAsync(uri);
            Assert.Contains("noVNC", page);
        }

        // Get-HeadlessVm shows the console URL while the bridge runs.
        Assert.Equal(uri, P<Uri>(_ps.Ok("Get-HeadlessVm b1").Single(), "ConsoleUrl"));

        // A second Start-VncBridge returns the running bridge instead of a second websockify.
        var again = _ps.Ok("Get-HeadlessVm b1 | Start-VncBridge").Single();
        Assert.Equal(pid, P<int>(again, "ProcessId"));
        Assert.Equal(16081, P<int>(again, "WebPort"));

        // Secrets and records in the store are private.
        var folder = VmFolder("b1");
        foreach (var file in new[] { "bridge.json", "websockify.tokens", "websockify.pid", "websockify.log", "vnc.password" })
        {
            Assert.Equal(ConsoleTestKit.Private, File.GetUnixFileMode(Path.Combine(folder, file)));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
    }

    [Fact]
    public void Without_the_token_the_WebSocket_upgrade_fails_and_with_it_the_VNC_server_answers()
    {
        var uri = (Uri)_ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort 16082 | Get-VmConsoleUrl").Single().BaseObject;
        var token = ConsoleTestKit.TokenOf(uri);

        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(uri, null)));
        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(uri, "0123456789abcdef0123456789abcdef")));
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(uri, token)));

        // Stop-VncBridge revokes the token: a new bridge has a new one and the old one no longer opens anything.
        _ps.Ok("Stop-VncBridge b1");
        var second = (Uri)_ps.Ok("Start-VncBridge b1 -WebPort 16082 | Get-VmConsoleUrl").Single().BaseObject;
        Assert.NotEqual(token, ConsoleTestKit.TokenOf(second));
        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(uri, token)));
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(second, ConsoleTestKit.TokenOf(second))));
    }

    [Fact]
    public void Without_the_VNC_password_VNC_authentication_fails()
    {
        var vm = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg").Single();
        var port = P<int>(vm, "VncPort");
        var (types, result) = ConsoleTestKit.VncAuth(port, new byte[16]);
        // VNC authentication is the only way in: no "None" security type is offered.
        Assert.Equal(new byte[] { 2 }, types);
        Assert.Equal(1u, result);
    }

    [Fact]
    public void Get_VncBridge_shows_a_killed_websockify_as_stopped_and_Get_VmConsoleUrl_then_says_to_run_Start_VncBridge()
    {
        var bridge = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort 16083").Single();
        var pid = P<int>(bridge, "ProcessId");
        ProcessInfo.Signal(pid, ProcessInfo.SIGKILL);
        ConsoleTestKit.AssertDead(pid);

        var listed = _ps.Ok("Get-VncBridge").Single();
        Assert.Equal("Stopped", listed.Properties["State"].Value.ToString());
        Assert.Null(listed.Properties["ProcessId"].Value);
        Assert.Null(listed.Properties["Url"].Value);
        Assert.Null(_ps.Ok("Get-HeadlessVm b1").Single().Properties["ConsoleUrl"].Value);

        var r = _ps.Run("Get-VmConsoleUrl b1");
        Assert.Empty(r.Output);
        var error = Assert.Single(r.Errors);
        Assert.Equal("BridgeNotRunning,HeadlessVm.Commands.GetVmConsoleUrlCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Equal("b1", error.TargetObject);
        Assert.Contains("Start-VncBridge", error.Exception.Message);

        // Starting it again brings up a new websockify.
        var restarted = _ps.Ok("Start-VncBridge b1 -WebPort 16083").Single();
        Assert.Equal("Running", restarted.Properties["State"].Value.ToString());
        Assert.NotEqual(pid, P<int>(restarted, "ProcessId"));
    }

    [Fact]
    public void Get_VmConsoleUrl_for_a_VM_without_a_bridge_is_a_BridgeNotRunning_error_and_for_an_unknown_name_BridgeNotFound()
    {
        _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg -NoStart");
        var r = _ps.Run("Get-VmConsoleUrl b1, nosuch");
        Assert.Empty(r.Output);
        Assert.Equal(new[] { "BridgeNotRunning", "BridgeNotFound" }, r.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.Equal(new object[] { "b1", "nosuch" }, r.Errors.Select(e => e.TargetObject));

        // A bridge needs a running VM.
        var start = _ps.Run("Start-VncBridge b1 -WebPort 16084");
        Assert.Equal("VmNotRunning", start.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
        Assert.Empty(_ps.Ok("Get-VncBridge"));
    }

    [Fact]
    public void When_port_6080_is_taken_Start_VncBridge_uses_the_next_free_port_and_an_explicit_taken_port_is_an_error()
    {
        TcpListener? holder = null;
        if (Ports.IsFree("127.0.0.1", 6080))
        {
            holder = new TcpListener(IPAddress.Loopback, 6080);
            holder.Start();
        }

        try
        {
            var expected = Enumerable.Range(6081, 100).First(p => Ports.IsFree("127.0.0.1", p));
            var bridge = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge").Single();
            Assert.Equal(expected, P<int>(bridge, "WebPort"));
            Assert.Equal(expected, P<Uri>(bridge, "Url").Port);

            var r = _ps.Run("New-HeadlessVm b2 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort 6080");
            var error = Assert.Single(r.Errors);
            Assert.Equal("WebPortInUse", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
            Assert.Equal("b2", error.TargetObject);
            Assert.Single(_ps.Ok("Get-VncBridge"));
        }
        finally
        {
            holder?.Stop();
        }
    }

    [Fact]
    public void Two_VMs_have_two_bridges_at_once_each_token_opening_only_its_own_bridge()
    {
        _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg; New-HeadlessVm b2 -MemoryMB 64 -Accelerator Tcg");
        var bridges = _ps.Ok("Get-HeadlessVm | Start-VncBridge");
        Assert.Equal(2, bridges.Count);
        Assert.Equal(new[] { "b1", "b2" }, bridges.Select(b => P<string>(b, "VmName")));
        Assert.NotEqual(P<int>(bridges[0], "WebPort"), P<int>(bridges[1], "WebPort"));
        Assert.NotEqual(P<int>(bridges[0], "ProcessId"), P<int>(bridges[1], "ProcessId"));
        var vncPorts = _ps.Ok("Get-HeadlessVm").Select(v => $"127.0.0.1:{P<int>(v, "VncPort")}");
        Assert.Equal(vncPorts, bridges.Select(b => P<string>(b, "Target")));

        var urls = _ps.Ok("Get-VncBridge | Get-VmConsoleUrl").Select(o => (Uri)o.BaseObject).ToArray();
        Assert.Equal(2, urls.Length);
        Assert.NotEqual(ConsoleTestKit.TokenOf(urls[0]), ConsoleTestKit.TokenOf(urls[1]));
        foreach (var url in urls)
        {
            Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url, ConsoleTestKit.TokenOf(url))));
        }

        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(urls[0], ConsoleTestKit.TokenOf(urls[1]))));
        Assert.Equal(new[] { "Running", "Running" }, _ps.Ok("Get-VncBridge").Select(b => b.Properties["State"].Value.ToString()));
    }

    [Fact]
    public void Stop_VncBridge_WhatIf_changes_nothing_and_Stop_VncBridge_ends_websockify_and_forgets_the_bridge()
    {
        var bridge = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort 16085").Single();
        var pid = P<int>(bridge, "ProcessId");
        var tokens = Path.Combine(VmFolder("b1"), "websockify.tokens");
        var before = File.ReadAllText(tokens);

        var whatIf = _ps.Run("Get-VncBridge | Stop-VncBridge -WhatIf");
        Assert.Empty(whatIf.Errors);
        Assert.Empty(whatIf.Output);
        Assert.True(ProcessInfo.IsAlive(pid));
        Assert.Equal(before, File.ReadAllText(tokens));
        Assert.Equal("Running", _ps.Ok("Get-VncBridge b1").Single().Properties["State"].Value.ToString());

        var stopped = _ps.Ok("Get-VncBridge | Stop-VncBridge -PassThru").Single();
        Assert.Equal("Stopped", stopped.Properties["State"].Value.ToString());
        ConsoleTestKit.AssertDead(pid);
        Assert.False(File.Exists(tokens));
        Assert.Empty(_ps.Ok("Get-VncBridge"));
        Assert.Equal("Running", _ps.Ok("Get-HeadlessVm b1").Single().Properties["State"].Value.ToString());

        var again = _ps.Run("Stop-VncBridge b1");
        Assert.Equal("BridgeNotFound", again.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void Stopping_a_VM_stops_its_bridge_and_removing_a_VM_stops_its_bridge()
    {
        var bridges = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge; New-HeadlessVm b2 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge");
        var pid1 = P<int>(bridges[0], "ProcessId");
        var pid2 = P<int>(bridges[1], "ProcessId");

        _ps.Ok("Stop-HeadlessVm b1 -Force");
        ConsoleTestKit.AssertDead(pid1);
        Assert.True(ProcessInfo.IsAlive(pid2));
        Assert.Equal(new[] { "b2" }, _ps.Ok("Get-VncBridge").Select(b => P<string>(b, "Name")));

        _ps.Ok("Remove-HeadlessVm b2 -Force");
        ConsoleTestKit.AssertDead(pid2);
        Assert.Empty(_ps.Ok("Get-VncBridge"));
    }

    [Fact]
    public void A_Target_bridge_serves_any_VNC_server_from_its_own_folder_in_the_store()
    {
        var vm = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg").Single();
        var target = $"127.0.0.1:{P<int>(vm, "VncPort")}";
        var bridge = _ps.Ok($"Start-VncBridge -Target {target} -WebPort 16086").Single();
        Assert.Null(bridge.Properties["VmName"].Value);
        Assert.Equal(target, P<string>(bridge, "Target"));
        var name = P<string>(bridge, "Name");
        Assert.Equal($"127.0.0.1-{P<int>(vm, "VncPort")}", name);
        var folder = Path.Combine(_ps.Paths.BridgesFolder, name);
        Assert.Equal(folder, P<string>(bridge, "Path"));
        Assert.True(File.Exists(Path.Combine(folder, "websockify.pid")));

        // Without a VM there is no password to put in the URL: noVNC asks for it.
        var url = (Uri)_ps.Ok("Get-VncBridge | Get-VmConsoleUrl").Single().BaseObject;
        Assert.Equal(string.Empty, url.Fragment);
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url, ConsoleTestKit.TokenOf(url))));

        var pid = P<int>(bridge, "ProcessId");
        _ps.Ok("Get-VncBridge | Stop-VncBridge");
        ConsoleTestKit.AssertDead(pid);
        Assert.False(Directory.Exists(folder));

        var bad = _ps.Run("Start-VncBridge -Target nonsense");
        Assert.Equal("InvalidTarget", bad.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void Save_VmScreenshot_writes_a_PNG_in_the_current_location_and_emits_the_file()
    {
        _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg");
        var file = Assert.IsType<FileInfo>(_ps.Ok("Get-HeadlessVm b1 | Save-VmScreenshot").Single().BaseObject);
        Assert.Equal(_ps.WorkFolder, file.DirectoryName);
        Assert.StartsWith("b1-", file.Name);
        Assert.EndsWith(".png", file.Name);
        var bytes = File.ReadAllBytes(file.FullName);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);

        var named = Assert.IsType<FileInfo>(_ps.Ok("Save-VmScreenshot -Name b1 -Path shot.png").Single().BaseObject);
        Assert.Equal(Path.Combine(_ps.WorkFolder, "shot.png"), named.FullName);
        var exists = _ps.Run("Save-VmScreenshot -Name b1 -Path shot.png");
        Assert.Equal("ScreenshotFileExists", exists.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
        Assert.Single(_ps.Ok("Save-VmScreenshot -Name b1 -Path shot.png -Force"));

        _ps.Ok("Stop-HeadlessVm b1 -Force");
        var stopped = _ps.Run("Save-VmScreenshot -Name b1 -Path off.png");
        Assert.Equal("VmNotRunning", stopped.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
    }
}
