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

    private string ServerFolder(int webPort) => Path.Combine(_ps.Paths.ConsolesFolder, $"127.0.0.1-{webPort}");

    [Fact]
    public async Task New_HeadlessVm_piped_to_Start_VncBridge_and_Get_VmConsoleUrl_yields_a_uri_that_a_detached_websockify_serves()
    {
        var webPort = FreePorts.Next();
        var url = _ps.Ok($"New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {webPort} | Get-VmConsoleUrl").Single().BaseObject;
        var uri = Assert.IsType<Uri>(url);
        Assert.Equal("http", uri.Scheme);
        Assert.Equal("127.0.0.1", uri.Host);
        Assert.Equal(webPort, uri.Port);
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
        Assert.Equal(webPort, P<int>(bridge, "WebPort"));
        Assert.Equal($"127.0.0.1:{P<int>(_ps.Ok("Get-HeadlessVm b1").Single(), "VncPort")}", P<string>(bridge, "Target"));
        Assert.True(P<bool>(bridge, "TokenRequired"));
        Assert.False(P<bool>(bridge, "Secure"));
        // AbsoluteUri: Uri equality ignores the fragment, which carries the password.
        Assert.Equal(uri.AbsoluteUri, P<Uri>(bridge, "Url").AbsoluteUri);

        // At the prompt it prints as the URL itself, whole, on one line; to scripts it is a [uri].
        var printed = _ps.Ok("Get-VmConsoleUrl b1 | Out-String -Width 400").Single().ToString().Trim();
        Assert.Equal(uri.AbsoluteUri, printed);
        Assert.Equal(true, _ps.Ok("(Get-VmConsoleUrl b1) -is [uri]").Single().BaseObject);

        // websockify is detached: its own session, not a child of this process, and its argv is a list.
        var pid = P<int>(bridge, "ProcessId");
        var argv = ProcessInfo.CommandLine(pid)!;
        Assert.Contains("--token-plugin", argv);
        Assert.Contains($"127.0.0.1:{webPort}", argv);
        Assert.NotEqual(Environment.ProcessId, ConsoleTestKit.ParentOf(pid));
        Assert.NotEqual(ConsoleTestKit.SessionOf(Environment.ProcessId), ConsoleTestKit.SessionOf(pid));

        using (var http = new HttpClient())
        {
            var page = await http.GetStringAsync(uri);
            Assert.Contains("noVNC", page);
        }

        // Get-HeadlessVm shows the console URL while the bridge runs.
        Assert.Equal(uri.AbsoluteUri, P<Uri>(_ps.Ok("Get-HeadlessVm b1").Single(), "ConsoleUrl").AbsoluteUri);

        // A second Start-VncBridge returns the running bridge instead of a second websockify.
        var again = _ps.Ok("Get-HeadlessVm b1 | Start-VncBridge").Single();
        Assert.Equal(pid, P<int>(again, "ProcessId"));
        Assert.Equal(webPort, P<int>(again, "WebPort"));

        // Secrets and records in the store are private: the VM's bridge record and password, and the
        // console server's record, pidfile, log and token folder.
        var folder = VmFolder("b1");
        var server = ServerFolder(webPort);
        foreach (var file in new[] { Path.Combine(folder, "bridge.json"), Path.Combine(folder, "vnc.password"), Path.Combine(server, "server.json"),
                     Path.Combine(server, "websockify.pid"), Path.Combine(server, "websockify.log"), Path.Combine(server, "tokens", "b1") })
        {
            Assert.Equal(ConsoleTestKit.Private, File.GetUnixFileMode(file));
        }

        foreach (var dir in new[] { folder, server, Path.Combine(server, "tokens"), _ps.Paths.ConsolesFolder })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        }

        // The token file is what websockify reads: "token: host:port".
        Assert.Equal($"{ConsoleTestKit.TokenOf(uri)}: {P<string>(bridge, "Target")}", File.ReadAllText(Path.Combine(server, "tokens", "b1")).Trim());
    }

    [Fact]
    public void Without_the_token_the_WebSocket_upgrade_fails_and_with_it_the_VNC_server_answers()
    {
        var webPort = FreePorts.Next();
        var uri = (Uri)_ps.Ok($"New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {webPort} | Get-VmConsoleUrl").Single().BaseObject;
        var token = ConsoleTestKit.TokenOf(uri);

        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(uri, null)));
        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(uri, "0123456789abcdef0123456789abcdef")));
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(uri, token)));

        // Stop-VncBridge revokes the token: a new bridge has a new one and the old one no longer opens anything.
        _ps.Ok("Stop-VncBridge b1");
        var second = (Uri)_ps.Ok($"Start-VncBridge b1 -WebPort {webPort} | Get-VmConsoleUrl").Single().BaseObject;
        Assert.NotEqual(token, ConsoleTestKit.TokenOf(second));
        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(uri, token)));
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(second, ConsoleTestKit.TokenOf(second))));
    }

    [Fact]
    public void The_VNC_server_accepts_the_VMs_own_password_and_refuses_any_other()
    {
        var vm = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg").Single();
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "b1");
        var blank = VncProbe.Authenticate("127.0.0.1", P<int>(vm, "VncPort"), null);
        Assert.Equal(VncProbe.Failed, blank.Result);

        // The password the console URL carries is that same one: noVNC logs in with it.
        var url = (Uri)_ps.Ok("Start-VncBridge b1 | Get-VmConsoleUrl").Single().BaseObject;
        var fromUrl = Uri.UnescapeDataString(url.Fragment["#password=".Length..]);
        Assert.True(VncProbe.Authenticate("127.0.0.1", P<int>(vm, "VncPort"), fromUrl).Accepted);
    }

    [Fact]
    public void Get_VncBridge_shows_a_killed_websockify_as_stopped_and_Get_VmConsoleUrl_then_says_to_run_Start_VncBridge()
    {
        var webPort = FreePorts.Next();
        var bridge = _ps.Ok($"New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {webPort}").Single();
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
        var restarted = _ps.Ok($"Start-VncBridge b1 -WebPort {webPort}").Single();
        Assert.Equal("Running", restarted.Properties["State"].Value.ToString());
        Assert.NotEqual(pid, P<int>(restarted, "ProcessId"));
    }

    [Fact]
    public void A_bridge_whose_VM_died_shows_as_stopped_and_its_URL_serves_again_once_the_VM_is_started()
    {
        var bridges = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge; New-HeadlessVm b2 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge");
        var server = P<int>(bridges[0], "ProcessId");
        var oldUrl = P<Uri>(bridges[0], "Url");

        // b1's qemu goes away without the module (a guest that powered itself off, or kill -9).
        var qemu = P<int>(_ps.Ok("Get-HeadlessVm b1").Single(), "ProcessId");
        ProcessInfo.Signal(qemu, ProcessInfo.SIGKILL);
        ConsoleTestKit.AssertDead(qemu);

        var listed = _ps.Ok("Get-VncBridge");
        Assert.Equal(new[] { "Stopped", "Running" }, listed.Select(b => b.Properties["State"].Value.ToString()));
        Assert.Null(listed[0].Properties["Url"].Value);
        Assert.Null(_ps.Ok("Get-HeadlessVm b1").Single().Properties["ConsoleUrl"].Value);
        Assert.Equal("BridgeNotRunning", Assert.Single(_ps.Run("Get-VmConsoleUrl b1").Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.True(ProcessInfo.IsAlive(server));

        // Started again (it was not stopped on purpose, so its bridge was not revoked), the VM's console
        // URL works again as it was: a browser tab left open reconnects.
        _ps.Ok("Start-HeadlessVm b1");
        var again = _ps.Ok("Get-VncBridge b1").Single();
        Assert.Equal("Running", again.Properties["State"].Value.ToString());
        Assert.Equal(server, P<int>(again, "ProcessId"));
        Assert.Equal(oldUrl.AbsoluteUri, P<Uri>(again, "Url").AbsoluteUri);
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(oldUrl, ConsoleTestKit.TokenOf(oldUrl))));
        Assert.Equal(oldUrl.AbsoluteUri, P<Uri>(_ps.Ok("Get-VncBridge b1 | Start-VncBridge").Single(), "Url").AbsoluteUri);
        // The restarted VM has its password again (set over QMP at this start), so the URL's password logs in.
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "b1");
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
        var start = _ps.Run($"Start-VncBridge b1 -WebPort {FreePorts.Next()}");
        Assert.Equal("VmNotRunning", start.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
        Assert.Empty(_ps.Ok("Get-VncBridge"));
    }

    [Fact]
    public async Task When_port_6080_is_taken_Start_VncBridge_uses_the_next_free_port_and_an_explicit_taken_port_is_an_error()
    {
        // On a loopback address of its own, so that no other program's ports (or ours) disturb the search from 6080.
        var address = FreePorts.PrivateLoopbackAddress();
        using var holder = new TcpListener(IPAddress.Parse(address), 6080);
        holder.Start();

        var bridge = _ps.Ok($"New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -ListenAddress {address}").Single();
        Assert.Equal(6081, P<int>(bridge, "WebPort"));
        Assert.Equal(6081, P<Uri>(bridge, "Url").Port);
        Assert.Equal(address, P<Uri>(bridge, "Url").Host);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) })
        {
            Assert.Contains("noVNC", await http.GetStringAsync(P<Uri>(bridge, "Url")));
        }

        var r = _ps.Run($"New-HeadlessVm b2 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -ListenAddress {address} -WebPort 6080");
        var error = Assert.Single(r.Errors);
        Assert.Equal("WebPortInUse", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Equal("b2", error.TargetObject);
        Assert.Single(_ps.Ok("Get-VncBridge"));
    }

    [Fact]
    public void Two_VMs_share_one_console_server_and_each_token_opens_only_its_own_VM()
    {
        _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg; New-HeadlessVm b2 -MemoryMB 64 -Accelerator Tcg");
        var webPort = FreePorts.Next();
        var bridges = _ps.Ok($"Get-HeadlessVm | Start-VncBridge -WebPort {webPort}");
        Assert.Equal(2, bridges.Count);
        Assert.Equal(new[] { "b1", "b2" }, bridges.Select(b => P<string>(b, "VmName")));
        // One websockify serves both consoles on one port; each VM is a token.
        Assert.Equal(P<int>(bridges[0], "WebPort"), P<int>(bridges[1], "WebPort"));
        var pid = P<int>(bridges[0], "ProcessId");
        Assert.Equal(pid, P<int>(bridges[1], "ProcessId"));
        var vms = _ps.Ok("Get-HeadlessVm");
        var vncPorts = vms.Select(v => P<int>(v, "VncPort")).ToArray();
        Assert.Equal(vncPorts.Select(p => $"127.0.0.1:{p}"), bridges.Select(b => P<string>(b, "Target")));

        var urls = _ps.Ok("Get-VncBridge | Get-VmConsoleUrl").Select(o => (Uri)o.BaseObject).ToArray();
        Assert.Equal(2, urls.Length);
        var tokens = urls.Select(ConsoleTestKit.TokenOf).ToArray();
        Assert.NotEqual(tokens[0], tokens[1]);
        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(urls[0], "0123456789abcdef0123456789abcdef")));

        // Each token reaches its own VM: the connection handler websockify forks for it is connected to that VM's VNC port.
        using var first = ConsoleTestKit.OpenWebSocket(ConsoleTestKit.WebSocketUri(urls[0], tokens[0]));
        using var second = ConsoleTestKit.OpenWebSocket(ConsoleTestKit.WebSocketUri(urls[1], tokens[1]));
        var peers = ProcessInfo.Children(pid).SelectMany(Sockets.RemoteEndPoints).Select(e => e.Port).ToArray();
        Assert.Contains(vncPorts[0], peers);
        Assert.Contains(vncPorts[1], peers);

        // Stopping b1's bridge revokes its token and cuts its open console; b2's console and server stay.
        _ps.Ok("Stop-VncBridge b1");
        ConsoleTestKit.AssertClosed(first);
        ConsoleTestKit.AssertOpen(second);
        Assert.Null(ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(urls[0], tokens[0])));
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(urls[1], tokens[1])));
        Assert.True(ProcessInfo.IsAlive(pid));
        Assert.Equal(new[] { "b2" }, _ps.Ok("Get-VncBridge").Select(b => P<string>(b, "Name")));

        // The last bridge takes the server with it.
        _ps.Ok("Stop-VncBridge b2");
        ConsoleTestKit.AssertDead(pid);
        Assert.False(Directory.Exists(ServerFolder(webPort)));
    }

    [Fact]
    public void A_bridge_with_another_web_port_gets_its_own_server_and_a_port_serving_other_settings_is_refused()
    {
        _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg; New-HeadlessVm b2 -MemoryMB 64 -Accelerator Tcg; New-HeadlessVm b3 -MemoryMB 64 -Accelerator Tcg");
        var (port1, port2) = (FreePorts.Next(), FreePorts.Next());
        var one = _ps.Ok($"Start-VncBridge b1 -WebPort {port1}").Single();
        var two = _ps.Ok($"Start-VncBridge b2 -WebPort {port2}").Single();
        Assert.NotEqual(P<int>(one, "ProcessId"), P<int>(two, "ProcessId"));

        // The first port serves /usr/share/novnc without TLS; asking it for another web root is refused, nothing is added.
        var webRoot = Directory.CreateDirectory(Path.Combine(_ps.WorkFolder, "web")).FullName;
        File.WriteAllText(Path.Combine(webRoot, "vnc.html"), "<html>noVNC</html>");
        var r = _ps.Run($"Start-VncBridge b3 -WebPort {port1} -WebRoot ./web");
        var error = Assert.Single(r.Errors);
        Assert.Equal("WebPortInUse", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Equal("b3", error.TargetObject);
        Assert.Contains("other settings", error.Exception.Message);
        Assert.Equal(new[] { "b1", "b2" }, _ps.Ok("Get-VncBridge").Select(b => P<string>(b, "Name")));
        Assert.False(File.Exists(Path.Combine(VmFolder("b3"), "bridge.json")));
    }

    [Fact]
    public void A_console_server_started_ahead_of_a_pipeline_that_brings_no_VM_is_not_left_behind()
    {
        // Start-VncBridge starts its server while New-HeadlessVm starts qemu; here New-HeadlessVm fails.
        _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg -NoStart");
        var webPort = FreePorts.Next();
        var r = _ps.Run($"New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {webPort}");
        Assert.Equal("VmAlreadyExists", Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Empty(r.Output);
        Assert.False(Directory.Exists(ServerFolder(webPort)));
        Assert.True(Ports.IsFree("127.0.0.1", webPort));
        Assert.Empty(LeftoverProcesses.Find(_ps.StateRoot));

        // The same pipeline bringing VMs leaves the server serving them, and says so with -Verbose.
        var r2 = _ps.Run($"New-HeadlessVm b2 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {webPort} -Verbose");
        Assert.Empty(r2.Errors);
        Assert.Contains(r2.Verbose, v => v.StartsWith("Running: ", StringComparison.Ordinal) && v.Contains(" -m websockify --daemon", StringComparison.Ordinal));
        Assert.Contains(r2.Verbose, v => v.StartsWith("Console bridge 'b2' serves", StringComparison.Ordinal));
        var b3 = _ps.Ok($"New-HeadlessVm b3 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {webPort}").Single();
        var listed = _ps.Ok("Get-VncBridge");
        Assert.Equal(new[] { "b2", "b3" }, listed.Select(b => P<string>(b, "Name")));
        Assert.All(listed, b => Assert.Equal(P<int>(b3, "ProcessId"), P<int>(b, "ProcessId")));
    }

    [Fact]
    public void Stop_VncBridge_WhatIf_changes_nothing_and_Stop_VncBridge_ends_websockify_and_forgets_the_bridge()
    {
        var webPort = FreePorts.Next();
        var bridge = _ps.Ok($"New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -WebPort {webPort}").Single();
        var pid = P<int>(bridge, "ProcessId");
        var tokens = Path.Combine(ServerFolder(webPort), "tokens", "b1");
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
        var pid = P<int>(bridges[0], "ProcessId");
        Assert.Equal(pid, P<int>(bridges[1], "ProcessId"));
        var url2 = P<Uri>(bridges[1], "Url");

        // b1's bridge goes with b1; the server keeps serving b2.
        _ps.Ok("Stop-HeadlessVm b1 -Force");
        Assert.Equal(new[] { "b2" }, _ps.Ok("Get-VncBridge").Select(b => P<string>(b, "Name")));
        Assert.False(File.Exists(Path.Combine(VmFolder("b1"), "bridge.json")));
        Assert.True(ProcessInfo.IsAlive(pid));
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url2, ConsoleTestKit.TokenOf(url2))));

        // Removing b2 removes the last bridge, and the server stops.
        _ps.Ok("Remove-HeadlessVm b2 -Force");
        ConsoleTestKit.AssertDead(pid);
        Assert.Empty(_ps.Ok("Get-VncBridge"));
        Assert.False(Directory.Exists(_ps.Paths.ConsolesFolder) && Directory.EnumerateFileSystemEntries(_ps.Paths.ConsolesFolder).Any());
    }

    [Fact]
    public void A_Target_bridge_serves_any_VNC_server_from_its_own_folder_in_the_store()
    {
        var vm = _ps.Ok("New-HeadlessVm b1 -MemoryMB 64 -Accelerator Tcg").Single();
        var target = $"127.0.0.1:{P<int>(vm, "VncPort")}";
        var webPort = FreePorts.Next();
        var bridge = _ps.Ok($"Start-VncBridge -Target {target} -WebPort {webPort}").Single();
        Assert.Null(bridge.Properties["VmName"].Value);
        Assert.Equal(target, P<string>(bridge, "Target"));
        var name = P<string>(bridge, "Name");
        Assert.Equal($"127.0.0.1-{P<int>(vm, "VncPort")}", name);
        var folder = Path.Combine(_ps.Paths.BridgesFolder, name);
        Assert.Equal(folder, P<string>(bridge, "StatePath"));
        Assert.True(File.Exists(Path.Combine(folder, "bridge.json")));
        Assert.True(File.Exists(Path.Combine(ServerFolder(webPort), "tokens", name)));

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
