using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Tests;

/// <summary>
/// The cmdlets against libvirt without a daemon: libvirt's in-process test driver, whose URI test:///FILE loads a host
/// from an XML file, so each test has hosts of its own (h-a, h-b: separate driver instances) and test:///default.
/// Hosts, routing of piped VMs, the Host column, the host cmdlets and the errors a host can give.
/// </summary>
[Collection("PowerShell")]
public sealed class HostCmdletTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public HostCmdletTests()
    {
        // Each file is its own test driver "host"; both have a running web1 with a VNC port and no password.
        UriA = TestHost("a", "web1", "only-a");
        UriB = TestHost("b", "web1", "only-b");
    }

    private string UriA { get; }

    private string UriB { get; }

    public void Dispose() => _ps.Dispose();

    private string TestHost(string name, params string[] domains)
    {
        var file = Path.Combine(_ps.StateRoot, $"host-{name}.xml");
        File.WriteAllText(file, "<node>" + string.Concat(domains.Select((d, i) =>
            $"<domain type='test'><name>{d}</name><memory>65536</memory><os><type>hvm</type></os>" +
            $"<devices><graphics type='vnc' port='{5990 + i}' autoport='no'><listen type='address' address='127.0.0.1'/></graphics></devices></domain>")) + "</node>");
        return "test://" + file;
    }

    private static string Id(ErrorRecord e) => e.FullyQualifiedErrorId.Split(',')[0];

    [Fact]
    public void A_VM_made_on_a_libvirt_host_lists_with_its_host_and_each_verb_piped_from_Get_acts_there()
    {
        _ps.Ok($"Connect-HeadlessVmHost h-a -Uri '{UriA}' | Out-Null");
        var vm = (VmInfo)_ps.Ok("New-HeadlessVm lv1 -ComputerName h-a -MemoryMB 64 -Accelerator Tcg -DiskPath /var/lib/libvirt/images/lv1.qcow2 -NoStart").Single().BaseObject;
        Assert.Equal("h-a", vm.ComputerName);
        Assert.Equal(UriA, vm.ConnectionUri);
        Assert.Equal(ManagedBy.HeadlessVm, vm.ManagedBy);
        Assert.Equal(VmState.Stopped, vm.State);
        Assert.False(Directory.Exists(_ps.Paths.ForVm("lv1").Folder), "a libvirt VM has no folder in the store");

        Assert.Equal("Running", _ps.Ok("Get-HeadlessVm lv1 -ComputerName h-a | Start-HeadlessVm -PassThru | ForEach-Object State").Single().ToString());
        Assert.Equal("Paused", _ps.Ok("Get-HeadlessVm lv1 -ComputerName h-a | Suspend-HeadlessVm -PassThru | ForEach-Object State").Single().ToString());
        Assert.Equal("Running", _ps.Ok("Get-HeadlessVm lv1 -ComputerName h-a | Resume-HeadlessVm -PassThru | ForEach-Object State").Single().ToString());
        _ps.Ok("Get-HeadlessVm lv1 -ComputerName h-a | Send-HeadlessVmKey -Text 'hi'");
        var shot = (FileInfo)_ps.Ok("Get-HeadlessVm lv1 -ComputerName h-a | Save-VmScreenshot").Single().BaseObject;
        Assert.StartsWith("h-a~lv1-", shot.Name, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes("/usr/share/libvirt/test-screenshot.png"), File.ReadAllBytes(shot.FullName));
        Assert.Equal("Stopped", _ps.Ok("Get-HeadlessVm lv1 -ComputerName h-a | Stop-HeadlessVm -PassThru | ForEach-Object State").Single().ToString());
        Assert.Equal("lv1", _ps.Ok("Get-HeadlessVm lv1 -ComputerName h-a | Remove-HeadlessVm -PassThru | ForEach-Object Name").Single().ToString());

        var gone = Assert.Single(_ps.Run("Get-HeadlessVm lv1 -ComputerName h-a").Errors);
        Assert.Equal("VmNotFound", Id(gone));
        Assert.Contains("h-a", gone.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Listing_several_hosts_adds_a_Host_column_and_piping_the_list_sends_each_VM_back_to_its_own_host()
    {
        _ps.Ok($"Connect-HeadlessVmHost h-a -Uri '{UriA}'; Connect-HeadlessVmHost h-b -Uri '{UriB}' | Out-Null");
        _ps.Ok("New-HeadlessVm s1 -MemoryMB 64 -Accelerator Tcg -NoStart | Out-Null");

        var one = string.Concat(_ps.Ok("Get-HeadlessVm -ComputerName h-a | Out-String -Width 120").Select(o => o.ToString()));
        Assert.DoesNotMatch(@"(?m)^Host\s", one);
        Assert.Matches(@"(?m)^Name\s+State", one);

        var table = string.Concat(_ps.Ok("Get-HeadlessVm -ComputerName * | Out-String -Width 120").Select(o => o.ToString()));
        Assert.Matches(@"(?m)^Host\s+Name\s+State\s+CPUs\s+MemoryMB\s+VNC\s+Console\s+Uptime\s*$", table);
        Assert.Matches(@"(?m)^h-a\s+only-a\s+Running", table);
        Assert.Matches(@"(?m)^h-b\s+web1\s+Running\s+\d+\s+64\s+127\.0\.0\.1:5990", table);
        Assert.Matches(@"(?m)^local\s+s1\s+Stopped", table);
        Assert.All(table.Split('\n'), l => Assert.True(l.TrimEnd().Length <= 120, l));

        var stopped = _ps.Ok("Get-HeadlessVm -ComputerName h-a, h-b web1 | Stop-HeadlessVm -Force -PassThru | ForEach-Object { '{0}/{1}/{2}' -f $_.ComputerName, $_.Name, $_.State }")
            .Select(o => o.ToString()).ToList();
        Assert.Equal(new[] { "h-a/web1/Stopped", "h-b/web1/Stopped" }, stopped);
        Assert.Equal(new[] { "h-a/Running", "h-b/Running" }, _ps.Ok("Get-HeadlessVm -ComputerName h-a, h-b only-* | ForEach-Object { '{0}/{1}' -f $_.ComputerName, $_.State }")
            .Select(o => o.ToString()));
        Assert.Equal("Stopped", _ps.Ok("(Get-HeadlessVm s1).State").Single().ToString());
    }

    [Fact]
    public void A_name_on_two_hosts_is_ambiguous_for_a_console_and_each_hosts_own_VM_gets_its_own_bridge()
    {
        _ps.Ok($"Connect-HeadlessVmHost h-a -Uri '{UriA}' -NoVerify; Connect-HeadlessVmHost h-b -Uri '{UriB}' -NoVerify | Out-Null");
        var ambiguous = Assert.Single(_ps.Run("Get-VmConsoleUrl web1 -ComputerName h-a, h-b").Errors);
        Assert.Equal("AmbiguousVmName", Id(ambiguous));
        Assert.Equal(ErrorCategory.InvalidArgument, ambiguous.CategoryInfo.Category);
        Assert.Equal("web1", ambiguous.TargetObject);
        Assert.Contains("h-a, h-b", ambiguous.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("AmbiguousVmName", Id(Assert.Single(_ps.Run("Start-VncBridge web1 -ComputerName h-a, h-b").Errors)));

        // test:// is this machine: the bridge is made, named after its host, and warns that only the token guards it.
        var start = _ps.Run("Get-HeadlessVm web1 -ComputerName h-a | Start-VncBridge");
        Assert.Empty(start.Errors);
        var bridge = (VncBridge)Assert.Single(start.Output).BaseObject;
        Assert.Equal("h-a~web1", bridge.Name);
        Assert.Equal("h-a", bridge.ComputerName);
        Assert.Equal("127.0.0.1:5990", bridge.Target);
        Assert.Contains(start.Warnings, w => w.Contains("asks for no password", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(_ps.StateRoot, "bridges", "h-a~web1", "bridge.json")));

        var url = (Uri)_ps.Ok("Get-VmConsoleUrl web1 -ComputerName h-a").Single().BaseObject;
        Assert.DoesNotContain("#password", url.ToString(), StringComparison.Ordinal);
        Assert.Equal(url, _ps.Ok("(Get-HeadlessVm web1 -ComputerName h-a).ConsoleUrl").Single().BaseObject);
        Assert.Empty(_ps.Ok("(Get-HeadlessVm web1 -ComputerName h-b).ConsoleUrl"));
        Assert.Equal("BridgeNotRunning", Id(Assert.Single(_ps.Run("Get-VmConsoleUrl web1 -ComputerName h-b").Errors)));

        // A VM piped to Stop-VncBridge stops its own host's bridge; a stopped VM takes its bridge with it.
        Assert.Equal("h-a~web1", _ps.Ok("Get-HeadlessVm web1 -ComputerName h-a | Stop-VncBridge -PassThru | ForEach-Object Name").Single().ToString());
        var again = _ps.Run("Get-HeadlessVm web1 -ComputerName h-a | Start-VncBridge");
        Assert.Empty(again.Errors);
        Assert.Contains(again.Warnings, w => w.Contains("asks for no password", StringComparison.Ordinal));
        _ps.Ok("Stop-HeadlessVm web1 -ComputerName h-a -Force");
        Assert.Empty(_ps.Ok("Get-VncBridge"));
    }

    [Fact]
    public void Connect_registers_a_host_in_a_private_file_Get_lists_it_and_Disconnect_closes_or_forgets_it()
    {
        var host = (HostInfo)_ps.Ok($"Connect-HeadlessVmHost h-a -Uri '{UriA}'").Single().BaseObject;
        Assert.Equal("h-a", host.ComputerName);
        Assert.Equal(UriA, host.ConnectionUri);
        Assert.True(host.Registered);
        Assert.True(host.Connected);
        Assert.Equal(new Version(9, 0, 0), host.LibvirtVersion);
        Assert.StartsWith("TEST", host.Hypervisor!.ToUpperInvariant(), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_ps.StateRoot, "hosts.json")));

        var exists = Assert.Single(_ps.Run($"Connect-HeadlessVmHost h-a -Uri '{UriB}'").Errors);
        Assert.Equal("HostExists", Id(exists));
        Assert.Equal(UriB, ((HostInfo)_ps.Ok($"Connect-HeadlessVmHost h-a -Uri '{UriB}' -Force").Single().BaseObject).ConnectionUri);

        Assert.Equal("h-a", _ps.Ok("Get-HeadlessVmHost h-* | ForEach-Object ComputerName").Single().ToString());
        Assert.Equal("only-b", _ps.Ok("Get-HeadlessVmHost h-a | Get-HeadlessVm only-* | ForEach-Object Name").Single().ToString());

        var closed = (HostInfo)_ps.Ok("Disconnect-HeadlessVmHost h-a -PassThru").Single().BaseObject;
        Assert.False(closed.Connected);
        Assert.True(closed.Registered);
        _ps.Ok("Disconnect-HeadlessVmHost h-a -Forget");
        Assert.Empty(_ps.Ok("Get-HeadlessVmHost"));
        Assert.Equal("HostNotFound", Id(Assert.Single(_ps.Run("Disconnect-HeadlessVmHost h-a").Errors)));
        Assert.Equal("HostNotFound", Id(Assert.Single(_ps.Run("Get-HeadlessVmHost h-a").Errors)));

        var invalid = Assert.Single(_ps.Run("Connect-HeadlessVmHost local -Uri qemu:///system -NoVerify").Errors);
        Assert.Equal("InvalidHostName", Id(invalid));
        Assert.Equal("local", invalid.TargetObject);
    }

    [Fact]
    public void Test_HeadlessVmHost_gives_one_line_per_check_and_is_honest_about_what_this_host_cannot_do()
    {
        var checks = _ps.Ok($"Test-HeadlessVmHost -ConnectionUri '{UriA}'").Select(o => (HostCheck)o.BaseObject).ToList();
        Assert.Equal(HostCheck.Checks, checks.Select(c => c.Check));
        var status = checks.ToDictionary(c => c.Check, c => c.Status);
        Assert.Equal(HostCheckStatus.Passed, status["Client"]);
        Assert.Equal(HostCheckStatus.Passed, status["Reachable"]);
        Assert.Equal(HostCheckStatus.Passed, status["Authenticated"]);
        Assert.Equal(HostCheckStatus.Warning, status["Daemon"]);
        Assert.Equal(HostCheckStatus.Warning, status["Kvm"]);
        Assert.Equal(HostCheckStatus.Unsupported, status["PortForward"]);
        Assert.Equal(HostCheckStatus.Passed, status["Console"]);
        Assert.All(checks.Where(c => c.Status != HostCheckStatus.Passed), c => Assert.False(string.IsNullOrWhiteSpace(c.Remedy)));

        // A host that is not there: Reachable fails with libvirt's message, and nothing after it runs.
        var down = _ps.Ok("Test-HeadlessVmHost -ConnectionUri 'qemu+ssh://nobody@127.0.0.1:1/system'").Select(o => (HostCheck)o.BaseObject).ToList();
        Assert.Equal("127.0.0.1", down[0].ComputerName);
        Assert.Equal(HostCheckStatus.Failed, down.Single(c => c.Check == "Reachable").Status);
        Assert.Matches("Connection refused|Cannot write data: Broken pipe", down.Single(c => c.Check == "Reachable").Detail);
        Assert.All(down.SkipWhile(c => c.Check != "Authenticated"), c => Assert.Equal(HostCheckStatus.NotRun, c.Status));
        Assert.Contains("sshd", down.Single(c => c.Check == "Reachable").Remedy, StringComparison.Ordinal);

        // Over libvirt's own TCP transport, the remedy is about libvirtd's listener, not sshd.
        var tcp = _ps.Ok("Test-HeadlessVmHost -ConnectionUri 'qemu+tcp://127.0.0.1:1/system'").Select(o => (HostCheck)o.BaseObject).ToList();
        var reach = tcp.Single(c => c.Check == "Reachable");
        Assert.Equal(HostCheckStatus.Failed, reach.Status);
        Assert.Contains("listen_tcp", reach.Remedy, StringComparison.Ordinal);
        Assert.DoesNotContain("sshd", reach.Remedy, StringComparison.Ordinal);

        var table = string.Concat(_ps.Ok($"Test-HeadlessVmHost -ConnectionUri '{UriA}' | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Matches(@"(?m)^ComputerName\s+Check\s+Status\s+Detail / Remedy", table);
    }

    private List<HostCheck> Checks(string script) => _ps.Ok(script).Select(o => (HostCheck)o.BaseObject).ToList();

    [Fact]
    public void Test_HeadlessVmHost_local_checks_the_state_folder_qemu_qemu_img_kvm_and_the_console_tools_with_a_remedy_for_each_lack()
    {
        // KVM does not work on this test machine whatever /dev/kvm says; a device that is not there says so on any machine.
        const string noKvm = "$env:HEADLESSVM_KVM_DEVICE = '/nonexistent/kvm'";
        const string kvmBack = "$env:HEADLESSVM_KVM_DEVICE = $null";
        var checks = Checks($"{noKvm}; try {{ Test-HeadlessVmHost local }} finally {{ {kvmBack} }}");
        Assert.Equal(HostCheck.LocalChecks, checks.Select(c => c.Check));
        Assert.All(checks, c => Assert.Equal(("local", (string?)null), (c.ComputerName, c.ConnectionUri)));
        var found = checks.ToDictionary(c => c.Check);
        Assert.Equal(HostCheckStatus.Passed, found["StateFolder"].Status);
        Assert.Contains($"'{_ps.StateRoot}' (set by HEADLESSVM_HOME) is writable and private", found["StateFolder"].Detail, StringComparison.Ordinal);
        Assert.Equal(HostCheckStatus.Passed, found["Qemu"].Status);
        Assert.Contains("qemu-system-x86_64 is /", found["Qemu"].Detail, StringComparison.Ordinal);
        Assert.Equal(HostCheckStatus.Passed, found["QemuImg"].Status);
        Assert.Equal(HostCheckStatus.Warning, found["Kvm"].Status);
        Assert.Contains("TCG", found["Kvm"].Detail, StringComparison.Ordinal);
        Assert.Equal(HostCheckStatus.Passed, found["Console"].Status);
        Assert.All(checks, c => Assert.Equal(c.Status == HostCheckStatus.Passed, c.Remedy is null));

        // With no host registered, the folder store is what is checked; the table view shows it as for any host.
        Assert.Equal(HostCheck.LocalChecks, Checks($"{noKvm}; try {{ Test-HeadlessVmHost }} finally {{ {kvmBack} }}").Select(c => c.Check));
        var table = string.Concat(_ps.Ok("Test-HeadlessVmHost local | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Matches(@"(?m)^local\s+QemuImg\s+Passed\s+qemu-img is /", table);

        // A VM of another architecture: its qemu is checked too (qemu-system-aarch64 is not installed here).
        _ps.Ok("New-HeadlessVm arm1 -Architecture aarch64 -MemoryMB 64 -NoStart | Out-Null");
        var arm = Checks("Test-HeadlessVmHost local").Where(c => c.Check == "Qemu").ToList();
        Assert.Equal(2, arm.Count);
        Assert.Equal(HostCheckStatus.Failed, arm[1].Status);
        Assert.Contains("qemu-system-aarch64", arm[1].Detail, StringComparison.Ordinal);
        Assert.Equal("apt-get install qemu-system-arm", arm[1].Remedy);
        _ps.Ok("Remove-HeadlessVm arm1");

        // Nothing on PATH: each program's check fails, with the Debian package that brings it.
        var path = Environment.GetEnvironmentVariable("PATH");
        var empty = Directory.CreateDirectory(_ps.Work("empty-bin")).FullName;
        Environment.SetEnvironmentVariable("PATH", empty);
        List<HostCheck> bare;
        try
        {
            bare = Checks("Test-HeadlessVmHost local");
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }

        var missing = bare.ToDictionary(c => c.Check);
        Assert.Equal((HostCheckStatus.Failed, "apt-get install qemu-system-x86"), (missing["Qemu"].Status, missing["Qemu"].Remedy));
        Assert.Equal((HostCheckStatus.Failed, "apt-get install qemu-utils"), (missing["QemuImg"].Status, missing["QemuImg"].Remedy));
        Assert.Equal((HostCheckStatus.Failed, "apt-get install websockify novnc"), (missing["Console"].Status, missing["Console"].Remedy));
        Assert.Contains("websockify", missing["Console"].Detail, StringComparison.Ordinal);
        Assert.Equal(HostCheckStatus.Passed, missing["StateFolder"].Status);

        // A state folder nothing can be written in: Failed, named with the variable that chose it; the other checks still run.
        var proc = Checks($"$env:HEADLESSVM_HOME = '/proc/headlessvm-test'; try {{ Test-HeadlessVmHost local }} finally {{ $env:HEADLESSVM_HOME = '{_ps.StateRoot}' }}");
        Assert.Equal(HostCheck.LocalChecks, proc.Select(c => c.Check));
        var state = proc[0];
        Assert.Equal(HostCheckStatus.Failed, state.Status);
        Assert.Contains("'/proc/headlessvm-test' (set by HEADLESSVM_HOME) cannot be used", state.Detail, StringComparison.Ordinal);
        Assert.Contains("HEADLESSVM_HOME", state.Remedy, StringComparison.Ordinal);
        Assert.Equal(HostCheckStatus.Passed, proc.Single(c => c.Check == "QemuImg").Status);
    }

    [Fact]
    public void A_host_that_cannot_be_reached_is_one_error_naming_it_and_the_other_hosts_still_list()
    {
        _ps.Ok("New-HeadlessVm s1 -MemoryMB 64 -Accelerator Tcg -NoStart | Out-Null");
        var r = _ps.Run($"Get-HeadlessVm -ComputerName local, no-such-host.invalid -ConnectionUri @() ; Get-HeadlessVm -ConnectionUri '{UriA}', 'qemu+ssh://nobody@127.0.0.1:1/system'");
        Assert.Equal(new[] { "s1", "only-a", "web1" }, r.Output.Select(o => ((VmInfo)o.BaseObject).Name));
        Assert.Equal(2, r.Errors.Count);
        Assert.Equal(("HostUnknown", ErrorCategory.ConnectionError, (object)"no-such-host.invalid"), (Id(r.Errors[0]), r.Errors[0].CategoryInfo.Category, r.Errors[0].TargetObject));
        Assert.Equal(("HostUnreachable", ErrorCategory.ConnectionError, (object)"127.0.0.1"), (Id(r.Errors[1]), r.Errors[1].CategoryInfo.Category, r.Errors[1].TargetObject));
        // libvirt's own words: ssh's stderr when libvirt reads first, its failed write when ssh's exit wins the race.
        Assert.Matches("Connection refused|Cannot write data: Broken pipe", r.Errors[1].Exception.Message);
    }

    [Fact]
    public void Bad_host_arguments_are_specific_errors()
    {
        var mismatch = Assert.Single(_ps.Run("Get-HeadlessVm -ComputerName a, b -ConnectionUri qemu:///system").Errors);
        Assert.Equal("HostNameUriMismatch", Id(mismatch));
        Assert.Equal("InvalidConnectionUri", Id(Assert.Single(_ps.Run("Get-HeadlessVm -ConnectionUri 'not a uri'").Errors)));

        // A web address, and a key file that is not there, are refused at Connect, and nothing is registered.
        var web = Assert.Single(_ps.Run("Connect-HeadlessVmHost w1 -Uri http://w1/ -NoVerify").Errors);
        Assert.Equal(("InvalidConnectionUri", ErrorCategory.InvalidArgument, (object)"http://w1/"), (Id(web), web.CategoryInfo.Category, web.TargetObject));
        var key = Assert.Single(_ps.Run("Connect-HeadlessVmHost w1 -Uri 'qemu+ssh://w1/system?keyfile=/no/such/key' -NoVerify").Errors);
        Assert.Contains("keyfile '/no/such/key' cannot be read", key.Exception.Message, StringComparison.Ordinal);
        var viaKey = Assert.Single(_ps.Run("Connect-HeadlessVmHost w1 -Uri qemu:///system -ConsoleVia 'ssh://w1?keyfile=/no/such/key' -NoVerify").Errors);
        Assert.Equal(("InvalidConsoleVia", (object)"w1"), (Id(viaKey), viaKey.TargetObject));
        Assert.Empty(_ps.Ok("Get-HeadlessVmHost"));
        Assert.Equal("InvalidHostName", Id(Assert.Single(_ps.Run("Get-HeadlessVm -ComputerName 'a/b'").Errors)));
        var two = Assert.Single(_ps.Run($"New-HeadlessVm x -ConnectionUri '{UriA}', '{UriB}' -NoStart").Errors);
        Assert.Equal("SingleHostRequired", Id(two));
        Assert.Equal("x", two.TargetObject);

        // The test driver has no console and its domains no log file: the serial log is a clear error.
        _ps.Ok($"New-HeadlessVm quiet -ConnectionUri '{UriA}' -MemoryMB 64 -Accelerator Tcg | Out-Null");
        var log = Assert.Single(_ps.Run($"Get-HeadlessVmSerialLog quiet -ConnectionUri '{UriA}'").Errors);
        Assert.Equal("NoSerialLog", Id(log));
        Assert.Equal(ErrorCategory.ObjectNotFound, log.CategoryInfo.Category);
    }

    [Fact]
    public void VM_names_complete_from_the_hosts_the_command_line_names_and_host_names_from_the_registry()
    {
        _ps.Ok($"Connect-HeadlessVmHost h-a -Uri '{UriA}' -NoVerify | Out-Null");
        var vms = _ps.Ok($"(TabExpansion2 -inputScript 'Get-HeadlessVm -ConnectionUri ''{UriA}'' -Name on' -cursorColumn {$"Get-HeadlessVm -ConnectionUri '{UriA}' -Name on".Length}).CompletionMatches.CompletionText");
        Assert.Equal("only-a", Assert.Single(vms).ToString());
        var hosts = _ps.Ok("(TabExpansion2 -inputScript 'Get-HeadlessVm -ComputerName h' -cursorColumn 30).CompletionMatches.CompletionText");
        Assert.Equal("h-a", Assert.Single(hosts).ToString());
    }

    [Fact]
    public void Without_libvirt_installed_the_folder_store_still_works_and_a_libvirt_host_is_LibvirtNotInstalled_naming_the_package()
    {
        // A second process whose mount namespace has /dev/null over libvirt.so.0 and libvirt-qemu.so.0.
        var r = SecondProcess.Finish(SecondProcess.Start(new[] { "bash", Path.Combine(RepoPaths.Root, "tests", "hosts", "without-libvirt.sh") }, _ps.StateRoot,
            "New-HeadlessVm s1 -MemoryMB 64 -Accelerator Tcg -NoStart | Out-Null; (Get-HeadlessVm s1).Name; " +
            "Get-HeadlessVm -ConnectionUri test:///default -ErrorVariable e -ErrorAction SilentlyContinue; " +
            "'{0} {1} {2}' -f $e[0].FullyQualifiedErrorId.Split(',')[0], $e[0].CategoryInfo.Category, $e[0].TargetObject; $e[0].Exception.Message"));
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 3, r.Stdout + r.Stderr);
        Assert.Equal("s1", lines[0]);
        Assert.Equal("LibvirtNotInstalled NotInstalled localhost", lines[1]);
        Assert.Contains("apt-get install libvirt0", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Ctrl_C_ends_a_wait_on_a_libvirt_VM_and_leaves_the_VM_as_it_was()
    {
        _ps.Ok($"Connect-HeadlessVmHost h-a -Uri '{UriA}' | Out-Null");
        // StopWhileWaiting fails the test when the pipeline has not stopped within its bound after Ctrl+C.
        Assert.Equal(PSInvocationState.Stopped, _ps.StopWhileWaiting("Wait-HeadlessVm web1 -ComputerName h-a -For Paused -TimeoutSec 3600"));
        Assert.Equal("Running", _ps.Ok("(Get-HeadlessVm web1 -ComputerName h-a).State").Single().ToString());
    }
}
