using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Tests;

/// <summary>
/// The consoles of VMs on other hosts, through ssh tunnels, on tests/hosts/hostbed.sh's h1 and h2 (real sshd, real
/// libvirtd, real websockify): what a user meets, and the faults a tunnel lives through. The VMs here have nothing to
/// boot (32 MB, the BIOS screen), which is all a VNC server needs; RemoteHostTests boots the test guest and looks at it
/// in Chromium.
/// </summary>
[Collection("PowerShell")]
public sealed class RemoteConsoleTests : IDisposable
{
    private static readonly TimeSpan Greeting = TimeSpan.FromSeconds(10);

    /// <summary>How long the ssh wrapper of the kill test waits once its master logged in (seconds): what its sleep's command line says.</summary>
    private const string Waits = "117";

    private readonly PowerShellSession _ps = new();

    /// <summary>The console server's port for this test: one the kernel picks, so that other test runs never meet it.</summary>
    private readonly int _web = FreePorts.Next();
    private readonly HostBed _bed;
    private readonly BedDomains _domains;
    private readonly List<(int Pid, string Mentions)> _started = new();

    public RemoteConsoleTests(LibvirtDaemons daemons)
    {
        _bed = daemons.EnsureBed();
        _domains = new BedDomains(_bed);
        _ps.Ok($"Connect-HeadlessVmHost h1 -Uri '{_bed.Uri("h1")}'; Connect-HeadlessVmHost h2 -Uri '{_bed.Uri("h2")}' | Out-Null");
    }

    public void Dispose()
    {
        try
        {
            // By PID, and only while the PID is still the process started here (its command line says so).
            foreach (var (pid, mentions) in _started)
            {
                LeftoverProcesses.Kill(pid, mentions);
            }

            // What else runs from the test's folder (the ext transport's relay, which libvirt may keep): by PID, found by its command line.
            foreach (var pid in Running(_ps.WorkFolder))
            {
                LeftoverProcesses.Kill(pid, _ps.WorkFolder);
            }

            _domains.Dispose();
        }
        finally
        {
            _ps.Dispose();
        }
    }

    private StatePaths.SshHostFiles H1 => _ps.Paths.ForSshHost("h1");

    private static string Id(ErrorRecord e) => e.FullyQualifiedErrorId.Split(',')[0];

    /// <summary>Live processes with an argument that is <paramref name="path"/> (a control socket, a program) or names something under it.</summary>
    private static IReadOnlyList<int> Running(string path) => LeftoverProcesses.Find(path).Select(l => l.Pid).ToArray();

    /// <summary>Makes and starts a VM with nothing to boot on <paramref name="host"/>; its name.</summary>
    private string Vm(string host, string extra = "")
    {
        var name = _domains.Name(host);
        _ps.Ok($"New-HeadlessVm {name} -ComputerName {host} -MemoryMB 32 -Accelerator Tcg {extra} | Out-Null");
        return name;
    }

    /// <summary>The VNC port a running domain has now on its host, from its live definition.</summary>
    private int VncPort(string host, string name) =>
        int.Parse(Regex.Match(_domains.Xml(host, name), "<graphics type='vnc' port='(\\d+)'").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    private static string? Rfb(Uri consoleUrl) => ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(consoleUrl, ConsoleTestKit.TokenOf(consoleUrl)));

    private static string? Rfb(string socket) => RfbGreeting.Read(new UnixDomainSocketEndPoint(socket), Greeting);

    private int MasterPid()
    {
        var pid = int.Parse(File.ReadAllText(H1.PidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(H1.ControlSocket, ProcessInfo.CommandLine(pid) ?? Array.Empty<string>());
        return pid;
    }

    /// <summary>The ssh processes that run with h1's control socket (the master; forwards are asked for and end at once).</summary>
    private IReadOnlyList<int> Masters() => Running(H1.ControlSocket);

    private void AssertNoTunnelLeft()
    {
        Assert.Empty(Masters());
        var left = Directory.Exists(_ps.Paths.SshFolder)
            ? Directory.EnumerateFileSystemEntries(_ps.Paths.SshFolder).Select(Path.GetFileName).Where(n => !n!.EndsWith(".lock", StringComparison.Ordinal)).ToArray()
            : Array.Empty<string>();
        Assert.Empty(left);
    }

    [Fact]
    public void A_remote_console_comes_only_through_its_hosts_one_master_on_a_private_socket_and_the_master_ends_with_the_hosts_last_bridge()
    {
        var web1 = Vm("h1");
        var web2 = Vm("h1");
        var start = _ps.Run($"Get-HeadlessVm {web1}, {web2} -ComputerName h1 | Start-VncBridge -WebPort {_web}");
        Assert.Empty(start.Errors);
        var bridges = start.Output.Select(o => (VncBridge)o.BaseObject).OrderBy(b => b.Name).ToList();
        Assert.Equal(new[] { $"h1~{web1}", $"h1~{web2}" }.Order(), bridges.Select(b => b.Name));
        Assert.All(bridges, b => Assert.Equal("h1", b.ComputerName));

        // One master for the host, in the state folder: the folder 0700, each forward's socket 0600.
        var master = MasterPid();
        Assert.Equal(new[] { master }, Masters());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_ps.Paths.SshFolder));
        var socket1 = _ps.Paths.ForForward($"h1~{web1}").Socket;
        var socket2 = _ps.Paths.ForForward($"h1~{web2}").Socket;
        foreach (var socket in new[] { socket1, socket2 })
        {
            Assert.True(File.Exists(socket), $"{socket} is missing");
            Assert.Equal(ConsoleTestKit.Private, File.GetUnixFileMode(socket));
        }

        // And everything else ssh and websockify made in the state folder (the master's control socket, pid, log).
        ConsoleTestKit.AssertAllPrivate(_ps.Paths.Root, _ps.WorkFolder);

        // The console server's token points at the socket, and the screen answers through it, in the browser's way (WebSocket).
        var token = File.ReadAllText(Directory.EnumerateFiles(_ps.Paths.Root, $"h1~{web1}", SearchOption.AllDirectories)
            .Single(f => Path.GetFileName(Path.GetDirectoryName(f)) == "tokens"));
        Assert.Contains($"unix_socket:{socket1}", token, StringComparison.Ordinal);
        var url1 = (Uri)_ps.Ok($"Get-VmConsoleUrl {web1} -ComputerName h1").Single().BaseObject;
        Assert.StartsWith("RFB 003.008", Rfb(url1));
        Assert.StartsWith("RFB 003.008", Rfb(socket1));

        // The VM's VNC listens on h1's own loopback: from this machine, h1's address does not reach it.
        var port = VncPort("h1", web1);
        Assert.Null(RfbGreeting.Read(new IPEndPoint(IPAddress.Parse(_bed.Address("h1")), port), Greeting));

        // Test-HeadlessVmHost follows the same way (a forward of its own, which it takes away again) and leaves the master to the bridges.
        var console = _ps.Ok("Test-HeadlessVmHost h1").Select(o => (HostCheck)o.BaseObject).Single(c => c.Check == "Console");
        Assert.Equal(HostCheckStatus.Passed, console.Status);
        Assert.Contains("RFB 003.008", console.Detail, StringComparison.Ordinal);
        Assert.Equal(new[] { master }, Masters());
        Assert.Equal(2, H1.ForwardRecords().Count());

        // A bridge that goes takes its forward and cuts its open viewer (ssh would keep a cancelled forward's channels);
        // the master stays for the other bridge, whose viewer stays, and ends with the host's last bridge.
        using var viewer1 = ConsoleTestKit.OpenWebSocket(ConsoleTestKit.WebSocketUri(url1, ConsoleTestKit.TokenOf(url1)));
        var url2 = (Uri)_ps.Ok($"Get-VmConsoleUrl {web2} -ComputerName h1").Single().BaseObject;
        using var viewer2 = ConsoleTestKit.OpenWebSocket(ConsoleTestKit.WebSocketUri(url2, ConsoleTestKit.TokenOf(url2)));
        _ps.Ok($"Stop-VncBridge h1~{web1}");
        ConsoleTestKit.AssertClosed(viewer1);
        ConsoleTestKit.AssertOpen(viewer2);
        Assert.False(File.Exists(socket1));
        Assert.Null(Rfb(socket1));
        Assert.StartsWith("RFB 003.008", Rfb(url2));
        Assert.Equal(new[] { master }, Masters());
        _ps.Ok($"Stop-VncBridge h1~{web2}");
        ConsoleTestKit.AssertDead(master);
        AssertNoTunnelLeft();
    }

    [Fact]
    public void A_killed_ssh_master_is_made_again_by_the_next_Get_VmConsoleUrl_and_a_VM_restarted_on_another_port_is_forwarded_there()
    {
        var web1 = Vm("h1");
        var web2 = Vm("h1");
        var url = ((VncBridge)_ps.Ok($"Start-VncBridge {web1} -ComputerName h1 -WebPort {_web}").Single().BaseObject).Url!;
        var master = MasterPid();

        ProcessInfo.Signal(master, ProcessInfo.SIGKILL);
        ConsoleTestKit.AssertDead(master);
        Assert.Null(Rfb(_ps.Paths.ForForward($"h1~{web1}").Socket));

        // The next command remakes the master and its forward: the same URL shows the screen again.
        var again = _ps.Run($"Get-VmConsoleUrl {web1} -ComputerName h1 -Verbose");
        Assert.Empty(again.Errors);
        Assert.Equal(url, (Uri)again.Output.Single().BaseObject);
        var remade = MasterPid();
        Assert.NotEqual(master, remade);
        Assert.Equal(new[] { remade }, Masters());
        Assert.StartsWith("RFB 003.008", Rfb(url));

        // web1 restarted behind the module's back (virsh), after web2 took its port: its bridge is forwarded to the new one when next asked for.
        var before = VncPort("h1", web1);
        _bed.Run("exec", "h1", "virsh", "-q", "-c", "qemu:///system", "destroy", web1);
        _bed.Run("exec", "h1", "virsh", "-q", "-c", "qemu:///system", "destroy", web2);
        _bed.Run("exec", "h1", "virsh", "-q", "-c", "qemu:///system", "start", web2);
        _bed.Run("exec", "h1", "virsh", "-q", "-c", "qemu:///system", "start", web1);
        var after = VncPort("h1", web1);
        Assert.NotEqual(before, after);
        Assert.Equal(before, VncPort("h1", web2));

        var moved = _ps.Run($"Get-VmConsoleUrl {web1} -ComputerName h1 -Verbose");
        Assert.Empty(moved.Errors);
        Assert.Contains(moved.Verbose, v => v.Contains($"VNC moved from port {before} to {after}", StringComparison.Ordinal));
        Assert.Equal(after, ForwardRecord.Read(_ps.Paths.ForForward($"h1~{web1}").RecordFile)!.Port);
        Assert.StartsWith("RFB 003.008", Rfb(url));
        Assert.Equal(new[] { remade }, Masters());

        _ps.Ok($"Get-HeadlessVm {web1}, {web2} -ComputerName h1 | Stop-HeadlessVm -Force");
        Assert.Empty(_ps.Ok("Get-VncBridge"));
        ConsoleTestKit.AssertDead(remade);
        AssertNoTunnelLeft();
    }

    [Fact]
    public void A_pwsh_killed_during_Start_VncBridge_leaves_no_forward_or_master_once_the_next_command_ran()
    {
        // An ssh for the tunnels (-ConsoleVia) that, once the master logged in and went to the background, says so and
        // waits instead of returning: pwsh is then waiting for the login, the longest step, and is killed there on cue.
        var mark = Path.Combine(_ps.WorkFolder, "logged-in");
        var ssh = Path.Combine(_ps.WorkFolder, "ssh-then-wait");
        File.WriteAllText(ssh, "#!/bin/sh\n" +
            $"case \" $* \" in *\" -M \"*) {_bed.SshCommand} \"$@\"; echo $$ > {mark}.tmp; mv {mark}.tmp {mark}; exec sleep {Waits} ;; esac\n" +
            $"exec {_bed.SshCommand} \"$@\"\n");
        File.SetUnixFileMode(ssh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _ps.Ok($"Connect-HeadlessVmHost h1 -Uri '{_bed.Uri("h1")}' -ConsoleVia 'ssh://root@{_bed.Address("h1")}?command={ssh}' -Force | Out-Null");
        var web1 = Vm("h1");

        var pwsh = SecondProcess.Start(_ps.StateRoot, $"Start-VncBridge {web1} -ComputerName h1 -WebPort {_web}");
        _started.Add((pwsh.Id, _ps.StateRoot));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!File.Exists(mark) && !pwsh.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        Assert.True(File.Exists(mark), "the second pwsh's master never logged in: " + (pwsh.HasExited ? pwsh.StandardError.ReadToEnd() : "timed out"));
        var waiting = int.Parse(File.ReadAllText(mark).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        _started.Add((waiting, Waits));
        var master = Assert.Single(Masters());
        ProcessInfo.Signal(pwsh.Id, ProcessInfo.SIGKILL);
        ConsoleTestKit.AssertDead(pwsh.Id);
        ProcessInfo.Signal(waiting, ProcessInfo.SIGKILL);
        ConsoleTestKit.AssertDead(waiting);
        Assert.True(ProcessInfo.IsAlive(master), "the master should outlive the pwsh that started it");

        // Killed while its master logged in (no pidfile, no forward, no bridge yet): the next command (any that sweeps) ends the master.
        Assert.Empty(_ps.Ok("Get-VncBridge"));
        ConsoleTestKit.AssertDead(master);
        AssertNoTunnelLeft();

        // Killed between its forward and its bridge (made here by taking a bridge's record and token away, as if they were
        // never written): the next command cancels the forward and ends the master too.
        File.WriteAllText(ssh, $"#!/bin/sh\nexec {_bed.SshCommand} \"$@\"\n");
        var url = ((VncBridge)_ps.Ok($"Start-VncBridge {web1} -ComputerName h1 -WebPort {_web}").Single().BaseObject).Url!;
        Assert.StartsWith("RFB 003.008", Rfb(url));
        var forwarded = MasterPid();
        Directory.Delete(_ps.Paths.ForTargetBridge($"h1~{web1}").Folder, recursive: true);
        foreach (var token in Directory.EnumerateFiles(_ps.Paths.Root, $"h1~{web1}", SearchOption.AllDirectories))
        {
            File.Delete(token);
        }

        Assert.Empty(_ps.Ok("Get-VncBridge"));
        ConsoleTestKit.AssertDead(forwarded);
        AssertNoTunnelLeft();

        // The console server such a pwsh started (before its VM arrived) is left serving nothing; the next bridge on its
        // port uses it, and it stops with that bridge.
        _ps.Ok($"Start-VncBridge -Target 127.0.0.1:9 -BridgeName after-kill -WebPort {_web} | Out-Null; Stop-VncBridge after-kill");
    }

    [Fact]
    public void A_forward_ssh_refuses_is_ConsoleTunnelFailed_with_its_words_and_leaves_no_master_or_bridge()
    {
        var web1 = Vm("h1");
        // A folder where the forward's socket goes: the master cannot listen there (it unlinks a stale socket, not a folder).
        var blocked = _ps.Paths.ForForward($"h1~{web1}").Socket;
        Directory.CreateDirectory(blocked);
        try
        {
            var failed = Assert.Single(_ps.Run($"Start-VncBridge {web1} -ComputerName h1 -WebPort {_web}").Errors);
            Assert.Equal(("ConsoleTunnelFailed", ErrorCategory.ConnectionError, (object)web1), (Id(failed), failed.CategoryInfo.Category, failed.TargetObject));
            Assert.Contains($"forward {blocked}", failed.Exception.Message, StringComparison.Ordinal);
            Assert.Empty(_ps.Ok("Get-VncBridge"));
            Assert.Empty(Masters());
            Assert.False(File.Exists(_ps.Paths.ForForward($"h1~{web1}").RecordFile));
        }
        finally
        {
            Directory.Delete(blocked);
        }

        var url = ((VncBridge)_ps.Ok($"Start-VncBridge {web1} -ComputerName h1 -WebPort {_web}").Single().BaseObject).Url!;
        Assert.StartsWith("RFB 003.008", Rfb(url));
        _ps.Ok($"Stop-VncBridge h1~{web1}");
        AssertNoTunnelLeft();
    }

    [Fact]
    public void Two_pwsh_processes_bridging_VMs_of_one_host_at_once_share_one_master()
    {
        var web1 = Vm("h1");
        var web2 = Vm("h1");
        var first = SecondProcess.Start(_ps.StateRoot, $"Start-VncBridge {web1} -ComputerName h1 -WebPort {_web} | Out-Null");
        var second = SecondProcess.Start(_ps.StateRoot, $"Start-VncBridge {web2} -ComputerName h1 -WebPort {_web} | Out-Null");
        _started.AddRange(new[] { (first.Id, _ps.StateRoot), (second.Id, _ps.StateRoot) });
        foreach (var pwsh in new[] { first, second })
        {
            var done = SecondProcess.Finish(pwsh);
            Assert.True(done.ExitCode == 0 && !(done.Stdout + done.Stderr).Contains("FullyQualifiedErrorId", StringComparison.Ordinal), done.Stdout + done.Stderr);
        }

        var master = MasterPid();
        Assert.Equal(new[] { master }, Masters());
        Assert.Equal(2, H1.ForwardRecords().Count());
        Assert.All(H1.ForwardRecords().Select(ForwardRecord.Read), f => Assert.Equal(master, f!.MasterPid));
        foreach (var vm in new[] { web1, web2 })
        {
            Assert.StartsWith("RFB 003.008", Rfb((Uri)_ps.Ok($"Get-VmConsoleUrl {vm} -ComputerName h1").Single().BaseObject));
        }

        _ps.Ok("Get-VncBridge | Stop-VncBridge");
        ConsoleTestKit.AssertDead(master);
        AssertNoTunnelLeft();
    }

    [Fact]
    public void A_host_whose_link_is_cut_is_one_error_naming_it_the_other_host_still_answers_and_its_console_comes_back_with_the_link()
    {
        var web1 = Vm("h1");
        var web2 = Vm("h2");
        _ps.Ok($"Start-VncBridge {web1} -ComputerName h1 -WebPort {_web} | Out-Null; Start-VncBridge {web2} -ComputerName h2 -WebPort {_web} | Out-Null");
        var h2 = _ps.Paths.ForSshHost("h2");
        var h2Master = Assert.Single(Running(h2.ControlSocket));

        _bed.Run("cut-link", "h2");
        try
        {
            // Listing: h1's VM, and one error for h2 (its connection's keepalive, or the new login's ConnectTimeout, gives up).
            var listed = _ps.Run("Get-HeadlessVm -ComputerName h1, h2");
            var vms = listed.Output.Select(o => (VmInfo)o.BaseObject).ToList();
            Assert.Contains(vms, v => (v.ComputerName, v.Name) == ("h1", web1));
            Assert.DoesNotContain(vms, v => v.ComputerName == "h2");
            var error = Assert.Single(listed.Errors);
            Assert.Equal(("h2", ErrorCategory.ConnectionError), (error.TargetObject, error.CategoryInfo.Category));
            Assert.Contains(Id(error), new[] { "HostConnectionLost", "HostUnreachable", "HostTimeout" });

            // h2's console cannot be had now, and the error says it is h2; h1's still answers.
            var unreachable = Assert.Single(_ps.Run($"Get-VmConsoleUrl {web2} -ComputerName h2").Errors);
            Assert.Equal(("h2", ErrorCategory.ConnectionError), (unreachable.TargetObject, unreachable.CategoryInfo.Category));
            Assert.StartsWith("RFB 003.008", Rfb((Uri)_ps.Ok($"Get-VmConsoleUrl {web1} -ComputerName h1").Single().BaseObject));
        }
        finally
        {
            _bed.Run("restore-link", "h2");
        }

        // With the link back, the next Get-VmConsoleUrl makes h2's tunnel good again (a new master if the old one gave up).
        var url = (Uri)_ps.Ok($"Get-VmConsoleUrl {web2} -ComputerName h2").Single().BaseObject;
        Assert.StartsWith("RFB 003.008", Rfb(url));
        var now = Assert.Single(Running(h2.ControlSocket));
        _ps.Ok("Get-VncBridge | Stop-VncBridge");
        ConsoleTestKit.AssertDead(now);
        ConsoleTestKit.AssertDead(h2Master);
        AssertNoTunnelLeft();
    }

    [Fact]
    public async Task A_VM_defined_with_virsh_on_another_host_opens_its_console_in_chromium_through_the_tunnel()
    {
        var name = _domains.Name("h1");
        var xml = Path.Combine(_bed.Images("h1"), name + ".xml");
        await File.WriteAllTextAsync(xml, $"<domain type='qemu'><name>{name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os>" +
            "<devices><graphics type='vnc' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics></devices></domain>");
        try
        {
            _bed.Run("exec", "h1", "virsh", "-q", "-c", "qemu:///system", "define", $"/var/lib/libvirt/images/{name}.xml");
            _bed.Run("exec", "h1", "virsh", "-q", "-c", "qemu:///system", "start", name);
        }
        finally
        {
            File.Delete(xml);
        }

        var vm = (VmInfo)_ps.Ok($"Get-HeadlessVm {name} -ComputerName h1").Single().BaseObject;
        Assert.Equal((ManagedBy.External, VmState.Running, "h1"), (vm.ManagedBy, vm.State, vm.ComputerName));
        var start = _ps.Run($"Get-HeadlessVm {name} -ComputerName h1 | Start-VncBridge -WebPort {_web}");
        Assert.Empty(start.Errors);
        Assert.Contains(start.Warnings, w => w.Contains("asks for no password", StringComparison.Ordinal));
        var url = (Uri)_ps.Ok($"Get-VmConsoleUrl {name} -ComputerName h1").Single().BaseObject;
        await using (var chromium = await HeadlessChromium.LaunchAsync())
        {
            var page = await chromium.OpenAsync(url);
            await HeadlessChromium.WaitConnectedAsync(page);
        }

        _ps.Ok($"Stop-VncBridge h1~{name}");
        AssertNoTunnelLeft();
    }

    [Fact]
    public void ConsoleVia_tunnels_a_host_libvirt_reaches_without_ssh_and_Direct_connects_straight_with_a_warning()
    {
        // h2's libvirt without ssh: libvirt's ext transport, through a program that relays to h2's libvirtd socket.
        var relay = Path.Combine(_ps.WorkFolder, "libvirt-relay");
        File.WriteAllText(relay, "#!/usr/bin/python3 -I\n" +
            "import os, selectors, socket\n" +
            $"s = socket.socket(socket.AF_UNIX); s.connect('{_bed.Root}/h2/run/libvirt/libvirt-sock')\n" +
            "sel = selectors.DefaultSelector(); sel.register(0, selectors.EVENT_READ); sel.register(s, selectors.EVENT_READ)\n" +
            "while True:\n" +
            "    for key, _ in sel.select():\n" +
            "        data = os.read(0, 65536) if key.fileobj == 0 else s.recv(65536)\n" +
            "        if not data: raise SystemExit(0)\n" +
            "        if key.fileobj == 0: s.sendall(data)\n" +
            "        else:\n" +
            "            while data: data = data[os.write(1, data):]\n");
        File.SetUnixFileMode(relay, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var ext = $"qemu+ext:///system?command={relay}";
        _ps.Ok($"Connect-HeadlessVmHost h2 -Uri '{ext}' -Force | Out-Null");
        var tunnelled = Vm("h2");

        // No way to its consoles is known: a clear error naming both ways, and Test-HeadlessVmHost says the same.
        var needs = Assert.Single(_ps.Run($"Start-VncBridge {tunnelled} -ComputerName h2 -WebPort {_web}").Errors);
        Assert.Equal(("ConsoleNeedsTunnel", ErrorCategory.InvalidOperation, (object)tunnelled), (Id(needs), needs.CategoryInfo.Category, needs.TargetObject));
        Assert.Contains("-ConsoleVia ssh://", needs.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("-ConsoleVia Direct", needs.Exception.Message, StringComparison.Ordinal);
        var check = _ps.Ok("Test-HeadlessVmHost h2").Select(o => (HostCheck)o.BaseObject).Single(c => c.Check == "Console");
        Assert.Equal(HostCheckStatus.Failed, check.Status);
        Assert.Contains("-ConsoleVia", check.Remedy, StringComparison.Ordinal);

        // Its consoles through an ssh endpoint of their own.
        var h2 = _ps.Paths.ForSshHost("h2");
        _ps.Ok($"Connect-HeadlessVmHost h2 -Uri '{ext}' -ConsoleVia 'ssh://root@{_bed.Address("h2")}?command={_bed.SshCommand}' -Force | Out-Null");
        var url = ((VncBridge)_ps.Ok($"Start-VncBridge {tunnelled} -ComputerName h2 -WebPort {_web}").Single().BaseObject).Url!;
        Assert.StartsWith("RFB 003.008", Rfb(url));
        Assert.Single(Running(h2.ControlSocket));
        _ps.Ok($"Stop-VncBridge h2~{tunnelled}");
        Assert.Empty(Running(h2.ControlSocket));
        _ps.Ok("Disconnect-HeadlessVmHost h2");

        // Direct: straight to the VM's VNC on h2's address, with a warning that VNC crosses the network unencrypted.
        var direct = _ps.Run($"Connect-HeadlessVmHost h2 -Uri '{_bed.Uri("h2")}' -ConsoleVia Direct -Force | Out-Null");
        Assert.Empty(direct.Errors);
        Assert.Contains(direct.Warnings, w => w.Contains("unencrypted", StringComparison.Ordinal));
        var open = Vm("h2", "-ListenAddress 0.0.0.0");
        var bridged = _ps.Run($"Start-VncBridge {open} -ComputerName h2 -WebPort {_web}");
        Assert.Empty(bridged.Errors);
        Assert.Contains(bridged.Warnings, w => w.Contains("unencrypted", StringComparison.Ordinal) && w.Contains(_bed.Address("h2"), StringComparison.Ordinal));
        Assert.StartsWith("RFB 003.008", Rfb(((VncBridge)bridged.Output.Single().BaseObject).Url!));
        Assert.Empty(Running(h2.ControlSocket));
        var directCheck = _ps.Ok("Test-HeadlessVmHost h2").Select(o => (HostCheck)o.BaseObject).Single(c => c.Check == "Console");
        Assert.Equal(HostCheckStatus.Warning, directCheck.Status);
        Assert.Contains("RFB 003.008", directCheck.Detail, StringComparison.Ordinal);
        Assert.Contains("unencrypted", directCheck.Detail, StringComparison.Ordinal);

        // A VM of h2 whose VNC listens on h2's loopback cannot be reached directly: an error that says what to do.
        var refused = Assert.Single(_ps.Run($"Start-VncBridge {tunnelled} -ComputerName h2 -WebPort {_web}").Errors);
        Assert.Equal(("ConsoleNotReachable", ErrorCategory.InvalidOperation, (object)tunnelled), (Id(refused), refused.CategoryInfo.Category, refused.TargetObject));
        Assert.Contains("-ConsoleVia ssh://", refused.Exception.Message, StringComparison.Ordinal);

        var invalid = _ps.Run($"Connect-HeadlessVmHost h2 -Uri '{_bed.Uri("h2")}' -ConsoleVia 'tunnel' -Force");
        var error = invalid.Terminating is { } t ? ((IContainsErrorRecord)t).ErrorRecord : Assert.Single(invalid.Errors);
        Assert.Equal(("InvalidConsoleVia", ErrorCategory.InvalidArgument, (object)"h2"), (Id(error), error.CategoryInfo.Category, error.TargetObject));

    }
}
