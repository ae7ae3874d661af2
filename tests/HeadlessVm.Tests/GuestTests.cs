using System.Diagnostics;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace HeadlessVm.Tests;

/// <summary>The real test guest under TCG, driven through the cmdlets: boot media, serial, waits, keys, port forwards, shutdown.</summary>
[Collection("PowerShell")]
public sealed class GuestTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void A_direct_kernel_boot_is_ready_serves_HTTP_through_a_port_forward_takes_keys_and_shuts_down_gracefully_leaving_a_clean_disk()
    {
        _ps.Ok("New-HeadlessVmDisk data.qcow2 -SizeGB 1 | Out-Null");
        var httpPort = FreePorts.Next();
        // atkbd.softrepeat=1: the guest's kernel repeats a held key itself (qemu's PS/2 keyboard does not), as a PC keyboard would.
        var created = _ps.Run(
            "New-HeadlessVm g1 -Accelerator Tcg -MemoryMB 256 -KernelPath $kernel -InitrdPath $initrd " +
            $"-KernelArgument \"$cmdline hvmtest.writedisk=vda atkbd.softrepeat=1\" -DiskPath data.qcow2 -PortForward '{httpPort}:80'", TestGuest.Variables);
        Assert.Empty(created.Errors);
        Assert.Equal(new[] { $"127.0.0.1:{httpPort}->80" }, (IEnumerable<string>)created.Output.Single().Properties["PortForward"].Value);

        // Ready: Wait-HeadlessVm emits the matched line and shows progress while it waits.
        var ready = _ps.Run($"Wait-HeadlessVm g1 -ForText '^{TestGuest.Ready}$' -TimeoutSec 120");
        Assert.Empty(ready.Errors);
        Assert.Equal(TestGuest.Ready, ready.Output.Single().BaseObject);
        Assert.Contains(ready.Progress, p => p.Activity.Contains("g1") && p.RecordType == ProgressRecordType.Completed);
        Assert.Contains(TestGuest.DiskWritten, _ps.Ok("Get-HeadlessVmSerialLog g1").Select(o => (string)o.BaseObject));

        // The port forward reaches the guest's httpd.
        var body = _ps.Ok($"(Invoke-WebRequest http://127.0.0.1:{httpPort}/ -TimeoutSec 20).Content").Single().ToString();
        Assert.Contains(TestGuest.Http, body);

        // Typed text (shift for upper case and symbols) and named keys reach the guest's keyboard.
        _ps.Ok("Send-HeadlessVmKey g1 -Text \"Hello, World! a_b=c:d`n\"");
        var typed = _ps.Ok($"Wait-HeadlessVm g1 -ForText '^{TestGuest.KeyPrefix}' -TimeoutSec 60");
        Assert.Equal(TestGuest.KeyPrefix + "Hello, World! a_b=c:d", typed.Single().BaseObject);
        _ps.Ok("Send-HeadlessVmKey g1 -Key shift-o,k,ret");
        var keyed = _ps.Ok($"Wait-HeadlessVm g1 -ForText '^{TestGuest.KeyPrefix}Ok$' -TimeoutSec 60 -PassThru");
        Assert.Equal("g1", keyed.Single().Properties["Name"].Value);

        var tail = _ps.Ok("Get-HeadlessVmSerialLog g1 -Tail 2").Select(o => (string)o.BaseObject).ToArray();
        Assert.Equal(2, tail.Length);
        Assert.Equal(TestGuest.KeyPrefix + "Ok", tail[^1]);

        // -HoldTimeMs holds each key down that long: held past the guest's repeat delay (250 ms), a key repeats;
        // held the default 100 ms, it does not.
        _ps.Ok("Send-HeadlessVmKey g1 -Key a -HoldTimeMs 1500; Send-HeadlessVmKey g1 -Key b,ret");
        var held = (string)_ps.Ok($"Wait-HeadlessVm g1 -ForText '^{TestGuest.KeyPrefix}a+b$' -TimeoutSec 60").Single().BaseObject;
        Assert.Matches($"^{TestGuest.KeyPrefix}aaa+b$", held);

        // The graceful path: the guest's own power-off line; qemu exited by itself, so nothing was powered
        // off (no QMP quit, no signal) and no fallback warning was given.
        var stop = _ps.Run("Stop-HeadlessVm g1 -TimeoutSec 600 -PassThru -Debug -Verbose -WarningAction Continue");
        Assert.Empty(stop.Errors);
        Assert.Empty(stop.Warnings);
        Assert.Equal("Stopped", stop.Output.Single().Properties["State"].Value.ToString());
        Assert.Contains("system_powerdown", LifecycleTests.QmpCommands(stop.Debug));
        Assert.DoesNotContain("quit", LifecycleTests.QmpCommands(stop.Debug));
        Assert.DoesNotContain(stop.Verbose, v => v.Contains("SIGTERM", StringComparison.Ordinal) || v.Contains("SIGKILL", StringComparison.Ordinal));
        Assert.Contains(TestGuest.PowerOff, _ps.Ok("Get-HeadlessVmSerialLog g1").Select(o => (string)o.BaseObject));

        // The data disk the guest wrote is clean.
        var check = RunQemuImg("check", "--output=json", Path.Combine(_ps.WorkFolder, "data.qcow2"));
        Assert.Equal(0, check.ExitCode);
        Assert.Equal(0, (int)JsonNode.Parse(check.Output)!["check-errors"]!);
        var disk = _ps.Ok("Get-HeadlessVmDisk data.qcow2").Single();
        Assert.Equal(false, disk.Properties["Dirty"].Value);
        Assert.Equal(false, disk.Properties["Corrupt"].Value);
        Assert.True((long)disk.Properties["ActualSize"].Value! >= 4 * 1024 * 1024);
    }

    [Fact]
    public void Restart_boots_the_guest_again_in_the_same_qemu_and_a_stop_and_start_begins_a_new_serial_log()
    {
        var ready = $"'^{TestGuest.Ready}$'";
        Assert.Empty(_ps.Run("New-HeadlessVm r1 -Accelerator Tcg -MemoryMB 256 -Network None -KernelPath $kernel -InitrdPath $initrd -KernelArgument $cmdline", TestGuest.Variables).Errors);
        var pid = (int)_ps.Ok("(Get-HeadlessVm r1).ProcessId").Single().BaseObject;
        _ps.Ok($"Wait-HeadlessVm r1 -ForText {ready} -TimeoutSec 180");

        // -NewOutputOnly looks only at what comes after the wait starts: the guest is up and quiet, so it times out.
        var quiet = Assert.Single(_ps.Run($"Wait-HeadlessVm r1 -ForText {ready} -NewOutputOnly -TimeoutSec 2").Errors);
        Assert.Equal("SerialTextWaitTimeout", quiet.FullyQualifiedErrorId.Split(',')[0]);

        // Restart-HeadlessVm resets the guest: it boots again, in the same qemu, and says it is ready once more
        // (it says so once per boot, so a restart that did nothing would leave this wait to time out).
        _ps.Ok("Restart-HeadlessVm r1");
        var again = _ps.Run($"Wait-HeadlessVm r1 -ForText {ready} -NewOutputOnly -TimeoutSec 180");
        Assert.Empty(again.Errors);
        Assert.Equal(TestGuest.Ready, again.Output.Single().BaseObject);
        Assert.Equal(pid, (int)_ps.Ok("(Get-HeadlessVm r1).ProcessId").Single().BaseObject);
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "r1");

        // Stopped and started: a new qemu and a new serial log; the last boot's log is kept beside it.
        _ps.Ok("Stop-HeadlessVm r1 -TimeoutSec 600");
        _ps.Ok("Start-HeadlessVm r1");
        _ps.Ok($"Wait-HeadlessVm r1 -ForText {ready} -TimeoutSec 180");
        var current = SerialLines("r1");
        Assert.Single(current, l => l == TestGuest.Ready);
        Assert.DoesNotContain(TestGuest.PowerOff, current);
        var previous = File.ReadAllLines(_ps.Paths.ForVm("r1").PreviousSerialLog).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Contains(TestGuest.Ready, previous);
        Assert.Contains(TestGuest.PowerOff, previous);
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "r1");

        // One deadline for every VM a wait names: the second VM's wait starts with the time already spent.
        _ps.Ok("New-HeadlessVm fw -Accelerator Tcg -MemoryMB 64 -Network None | Out-Null");
        var both = _ps.Run("Wait-HeadlessVm r1, fw -ForText 'never printed' -TimeoutSec 3");
        Assert.Equal(new object[] { "r1", "fw" }, both.Errors.Select(e => e.TargetObject));
        Assert.All(both.Errors, e => Assert.Equal("SerialTextWaitTimeout", e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.Contains("within 3 s", both.Errors[0].Exception.Message);
        Assert.Contains("within 0 s", both.Errors[1].Exception.Message);
    }

    private List<string> SerialLines(string vm) => _ps.Ok($"Get-HeadlessVmSerialLog {vm}").Select(o => (string)o.BaseObject).ToList();

    [Fact]
    public void The_ISO_boots_to_ready()
    {
        var created = _ps.Run("New-HeadlessVm iso1 -Accelerator Tcg -MemoryMB 256 -IsoPath $iso", TestGuest.Variables);
        Assert.Empty(created.Errors);
        Assert.Equal("Running", _ps.Ok("Wait-HeadlessVm iso1 -For Running -TimeoutSec 30 -PassThru").Single().Properties["State"].Value.ToString());
        Assert.Equal(TestGuest.Ready, _ps.Ok($"Wait-HeadlessVm iso1 -ForText '^{TestGuest.Ready}$' -TimeoutSec 120").Single().BaseObject);
        _ps.Ok("Stop-HeadlessVm iso1 -Force");
        Assert.Empty(_ps.Ok("Wait-HeadlessVm iso1 -For Stopped -TimeoutSec 5"));
    }

    [Fact]
    public void A_linked_clone_of_the_qcow2_image_boots_to_ready_and_the_cached_image_is_never_written()
    {
        var before = File.GetLastWriteTimeUtc(TestGuest.Qcow2);
        var clone = _ps.Run("New-HeadlessVmDisk clone.qcow2 -BackingPath $qcow2", TestGuest.Variables);
        Assert.Empty(clone.Errors);
        Assert.Equal(TestGuest.Qcow2, clone.Output.Single().Properties["BackingPath"].Value);

        _ps.Ok("New-HeadlessVm disk1 -Accelerator Tcg -MemoryMB 256 -DiskPath clone.qcow2 | Out-Null");
        Assert.Equal(TestGuest.Ready, _ps.Ok($"Wait-HeadlessVm disk1 -ForText '^{TestGuest.Ready}$' -TimeoutSec 120").Single().BaseObject);

        // A wait that cannot be met is an OperationTimeout error quoting the last serial lines.
        var timeout = _ps.Run("Wait-HeadlessVm disk1 -ForText 'never printed' -TimeoutSec 2");
        var error = timeout.Errors.Single();
        Assert.Equal("SerialTextWaitTimeout,HeadlessVm.Commands.WaitHeadlessVmCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        Assert.Equal("disk1", error.TargetObject);
        Assert.Contains(TestGuest.Ready, error.Exception.Message);
        var state = _ps.Run("Wait-HeadlessVm disk1 -For Stopped -TimeoutSec 1").Errors.Single();
        Assert.Equal("VmStateWaitTimeout,HeadlessVm.Commands.WaitHeadlessVmCommand", state.FullyQualifiedErrorId);

        _ps.Ok("Stop-HeadlessVm disk1 -Force");
        Assert.Equal(before, File.GetLastWriteTimeUtc(TestGuest.Qcow2));
        Assert.Equal(0, RunQemuImg("check", TestGuest.Qcow2).ExitCode);
    }

    [Fact]
    public void A_guest_that_ignores_the_power_button_is_powered_off_after_the_timeout_with_a_warning()
    {
        _ps.Ok("New-HeadlessVm fw -Accelerator Tcg -MemoryMB 64 -Network None | Out-Null");
        var stop = _ps.Run("Stop-HeadlessVm fw -TimeoutSec 3 -PassThru -Debug -WarningAction Continue");
        Assert.Empty(stop.Errors);
        Assert.Contains(stop.Warnings, w => w.Contains("did not shut down within 3 s"));
        Assert.Equal("Stopped", stop.Output.Single().Properties["State"].Value.ToString());
        // The power button first, then the countdown ran out (its last report says no time is left), then the power off.
        Assert.Equal(new[] { "system_powerdown", "quit" }, LifecycleTests.QmpCommands(stop.Debug).Where(c => c is "system_powerdown" or "quit"));
        Assert.Equal(ProgressRecordType.Completed, stop.Progress[^1].RecordType);
        Assert.Contains(stop.Progress, p => p.RecordType == ProgressRecordType.Processing && p.SecondsRemaining is > 0 and <= 3);
    }

    [Fact]
    public void A_port_forward_whose_host_port_is_taken_fails_before_qemu_starts_and_leaves_no_record()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var taken = ((IPEndPoint)listener.LocalEndpoint).Port;
            var r = _ps.Run($"New-HeadlessVm pf -Accelerator Tcg -MemoryMB 64 -PortForward '{taken}:80'");
            var error = r.Errors.Single();
            Assert.Equal("PortForwardInUse,HeadlessVm.Commands.NewHeadlessVmCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
            Assert.Equal("pf", error.TargetObject);
            Assert.Contains(taken.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Exception.Message);
            Assert.Empty(_ps.Ok("Get-HeadlessVm"));
            Assert.False(Directory.Exists(Path.Combine(_ps.StateRoot, "vms", "pf")));
            Assert.DoesNotContain(Process.GetProcessesByName("qemu-system-x86_64"),
                p => HeadlessVm.Core.Processes.ProcessInfo.CommandLine(p.Id)?.Any(a => a.Contains(_ps.StateRoot)) == true);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void Keys_and_waits_name_what_is_wrong()
    {
        _ps.Ok("New-HeadlessVm idle -Accelerator Tcg -MemoryMB 64 -Network None -NoStart | Out-Null");
        var unknown = _ps.Run("Send-HeadlessVmKey idle -Key ctrl-alt-dlete");
        Assert.Equal("UnknownKeyName,HeadlessVm.Commands.SendHeadlessVmKeyCommand", unknown.Errors.Single().FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, unknown.Errors.Single().CategoryInfo.Category);
        var notRunning = _ps.Run("Send-HeadlessVmKey idle -Key ret").Errors.Single();
        Assert.Equal("VmNotRunning,HeadlessVm.Commands.SendHeadlessVmKeyCommand", notRunning.FullyQualifiedErrorId);
        var whatIf = _ps.Run("Send-HeadlessVmKey idle -Text 'secret' -WhatIf");
        Assert.Empty(whatIf.Errors);
        var waitStopped = _ps.Run("Wait-HeadlessVm idle -ForText x -TimeoutSec 5").Errors.Single();
        Assert.Equal("VmNotRunning,HeadlessVm.Commands.WaitHeadlessVmCommand", waitStopped.FullyQualifiedErrorId);
        Assert.Empty(_ps.Ok("Wait-HeadlessVm idle -For Stopped -TimeoutSec 5"));
        var missing = _ps.Run("Wait-HeadlessVm nosuch -For Running -TimeoutSec 5").Errors.Single();
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.CategoryInfo.Category);
        Assert.Empty(_ps.Ok("Get-HeadlessVmSerialLog idle"));
    }

    [Fact]
    public void Ctrl_C_during_Wait_HeadlessVm_stops_the_waiting_and_leaves_the_VM_running()
    {
        _ps.Ok("New-HeadlessVm waiter -Accelerator Tcg -MemoryMB 64 -Network None | Out-Null");
        Assert.Equal(PSInvocationState.Stopped, _ps.StopWhileWaiting("Wait-HeadlessVm waiter -ForText 'never printed' -TimeoutSec 3600"));
        Assert.Equal("Running", _ps.Ok("Get-HeadlessVm waiter").Single().Properties["State"].Value.ToString());
        _ps.Ok("Stop-HeadlessVm waiter -Force");
    }

    private static (int ExitCode, string Output) RunQemuImg(params string[] args)
    {
        var result = BoundedProcess.Run("qemu-img", args, TimeSpan.FromMinutes(2));
        return (result.ExitCode, result.Output);
    }
}
