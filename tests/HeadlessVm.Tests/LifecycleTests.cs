using System.Diagnostics;
using System.Management.Automation;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

[Collection("PowerShell")]
public sealed class LifecycleTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private static object? Prop(PSObject o, string name) => o.Properties[name]?.Value;

    private static List<string> Argv(int pid) => ProcessInfo.CommandLine(pid)!.ToList();

    /// <summary>The QMP commands sent, in order, from -Debug's "QMP -> {...}" lines.</summary>
    internal static List<string> QmpCommands(IEnumerable<string> debug) =>
        debug.Where(d => d.StartsWith("QMP -> ", StringComparison.Ordinal))
            .Select(d => System.Text.Json.Nodes.JsonNode.Parse(d["QMP -> ".Length..])?["execute"]?.GetValue<string>() ?? string.Empty)
            .ToList();

    [Fact]
    public void New_HeadlessVm_starts_a_real_qemu_that_Get_HeadlessVm_reports_running_and_Stop_powers_off()
    {
        var created = _ps.Ok("New-HeadlessVm web1 -MemoryMB 128 -ProcessorCount 2 -Accelerator Tcg").Single();
        var display = (int)Prop(created, "VncDisplay")!;
        Assert.Equal("HeadlessVm.Core.Model.VmInfo", created.TypeNames[0]);
        Assert.Equal("web1", Prop(created, "Name"));
        Assert.Equal("Running", Prop(created, "State")!.ToString());
        var pid = (int)Prop(created, "ProcessId")!;
        var argv = Argv(pid);
        Assert.Equal("qemu-system-x86_64", Path.GetFileName(argv[0]));
        Assert.Equal("128", argv[argv.IndexOf("-m") + 1]);
        Assert.Equal("2", argv[argv.IndexOf("-smp") + 1]);
        Assert.Equal("tcg", argv[argv.IndexOf("-accel") + 1]);
        Assert.Equal("max", argv[argv.IndexOf("-cpu") + 1]);
        Assert.Equal("none", argv[argv.IndexOf("-display") + 1]);
        Assert.Equal($"127.0.0.1:{display},password=on", argv[argv.IndexOf("-vnc") + 1]);
        Assert.DoesNotContain("-memory", argv);

        var listed = _ps.Ok("Get-HeadlessVm").Single();
        Assert.Equal("Running", Prop(listed, "State")!.ToString());
        Assert.Equal(5900 + display, Prop(listed, "VncPort"));
        Assert.Equal(display, Prop(listed, "VncDisplay"));
        Assert.Equal("127.0.0.1", Prop(listed, "VncAddress"));
        Assert.Equal("Tcg", Prop(listed, "Accelerator")!.ToString());
        Assert.NotNull(Prop(listed, "Uptime"));

        // qemu really serves VNC on the port it reports, on loopback only, with the VM's password.
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "web1");

        // A firmware-only VM ignores the power button, so Stop falls back to power-off after the timeout.
        var stopped = _ps.Run("Get-HeadlessVm | Stop-HeadlessVm -TimeoutSec 2 -PassThru");
        Assert.Empty(stopped.Errors);
        Assert.Equal("Stopped", Prop(stopped.Output.Single(), "State")!.ToString());
        Assert.Contains(stopped.Warnings, w => w.Contains("did not shut down within 2 s", StringComparison.Ordinal));
        Assert.False(ProcessInfo.IsAlive(pid));
        Assert.Contains(stopped.Progress, p => p.Activity.Contains("web1", StringComparison.Ordinal));
        Assert.Equal(ProgressRecordType.Completed, stopped.Progress.Last().RecordType);
    }

    [Fact]
    public void Stopping_several_VMs_presses_every_power_button_first_and_shares_one_timeout()
    {
        var pids = _ps.Ok("'lab1', 'lab2', 'lab3' | ForEach-Object { New-HeadlessVm $_ -MemoryMB 64 -Accelerator Tcg }")
            .Select(o => (int)Prop(o, "ProcessId")!).ToArray();

        // Firmware-only guests ignore the power button, so each needs the fallback, after one shared wait.
        var r = _ps.Run("Get-HeadlessVm lab* | Stop-HeadlessVm -TimeoutSec 2 -PassThru -Debug -WarningAction Continue");
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "lab1", "lab2", "lab3" }, r.Output.Select(o => (string)Prop(o, "Name")!));
        Assert.All(r.Output, o => Assert.Equal("Stopped", Prop(o, "State")!.ToString()));
        Assert.Equal(3, r.Warnings.Count(w => w.Contains("did not shut down within 2 s", StringComparison.Ordinal)));
        Assert.All(pids, pid => Assert.False(ProcessInfo.IsAlive(pid)));

        // What qemu was told, in order: every power button before the first power off (QMP quit).
        // (-Debug makes warnings ask for confirmation unless -WarningAction says otherwise: PowerShell's own rule.)
        var commands = QmpCommands(r.Debug);
        Assert.Equal(new[] { "system_powerdown", "system_powerdown", "system_powerdown", "quit", "quit", "quit" },
            commands.Where(c => c is "system_powerdown" or "quit"));

        // One countdown for all three: its time left only goes down, and it ends once.
        Assert.All(r.Progress, p => Assert.Equal("Stopping 3 VMs", p.Activity));
        Assert.Contains(r.Progress, p => p.StatusDescription.Contains("0 of 3 done", StringComparison.Ordinal));
        var left = r.Progress.Where(p => p.RecordType == ProgressRecordType.Processing).Select(p => p.SecondsRemaining).ToList();
        Assert.NotEmpty(left);
        Assert.Equal(left.OrderByDescending(x => x), left);
        Assert.Single(r.Progress, p => p.RecordType == ProgressRecordType.Completed);
    }

    [Fact]
    public void Import_Csv_piped_to_New_HeadlessVm_creates_and_starts_every_VM_in_the_file()
    {
        File.WriteAllLines(Path.Combine(_ps.WorkFolder, "vms.csv"), new[]
        {
            "Name,MemoryMB,ProcessorCount,Accelerator",
            "lab-a,64,1,Tcg",
            "lab-b,96,2,Tcg",
            "lab-c,128,1,Tcg",
        });

        var created = _ps.Ok("Import-Csv ./vms.csv | New-HeadlessVm");
        Assert.Equal(new[] { "lab-a", "lab-b", "lab-c" }, created.Select(o => (string)Prop(o, "Name")!));
        Assert.All(created, o => Assert.Equal("Running", Prop(o, "State")!.ToString()));
        Assert.Equal(new[] { "64", "96", "128" }, created.Select(o => Argv((int)Prop(o, "ProcessId")!).SkipWhile(a => a != "-m").ElementAt(1)));
        Assert.Equal(new[] { "1", "2", "1" }, created.Select(o => Argv((int)Prop(o, "ProcessId")!).SkipWhile(a => a != "-smp").ElementAt(1)));
        // Each has a display of its own (the allocator's choice: other programs here may hold some), and its qemu serves it.
        Assert.Equal(3, created.Select(o => (int)Prop(o, "VncDisplay")!).Distinct().Count());
        Assert.All(created, o => Assert.Contains($"127.0.0.1:{Prop(o, "VncDisplay")},password=on", Argv((int)Prop(o, "ProcessId")!)));

        // -Force powers off at once: no power button, no countdown, no fallback warning.
        var stopped = _ps.Run("Get-HeadlessVm lab-* | Stop-HeadlessVm -Force -PassThru -Debug -WarningAction Continue");
        Assert.Empty(stopped.Errors);
        Assert.Empty(stopped.Warnings);
        Assert.Empty(stopped.Progress);
        Assert.Equal(new[] { "quit", "quit", "quit" }, QmpCommands(stopped.Debug).Where(c => c is "system_powerdown" or "quit"));
        Assert.Equal(3, stopped.Output.Count);
        Assert.All(stopped.Output, o => Assert.Equal("Stopped", Prop(o, "State")!.ToString()));
        Assert.All(created, o => Assert.False(ProcessInfo.IsAlive((int)Prop(o, "ProcessId")!)));
    }

    [Fact]
    public void Json_specifications_piped_through_ForEach_Object_create_several_VMs_that_Start_HeadlessVm_starts_with_their_passwords()
    {
        // j2 asks for display :97 on an address of its own, where no other program can hold its port.
        var address = FreePorts.PrivateLoopbackAddress();
        File.WriteAllText(Path.Combine(_ps.WorkFolder, "vms.json"),
            $$"""[ { "Name": "j1", "MemoryMB": 64, "Accelerator": "Tcg", "NoStart": true }, { "Name": "j2", "MemoryMB": 80, "Accelerator": "Tcg", "VncDisplay": 97, "ListenAddress": "{{address}}", "NoStart": true } ]""");

        var created = _ps.Ok("Get-Content ./vms.json -Raw | ConvertFrom-Json | ForEach-Object { $_ } | New-HeadlessVm");
        Assert.Equal(2, created.Count);
        Assert.All(created, o => Assert.Equal("Stopped", Prop(o, "State")!.ToString()));
        Assert.Equal(80, Prop(created[1], "MemoryMB"));
        Assert.Equal(97, Prop(created[1], "VncDisplay"));

        var started = _ps.Ok("Start-HeadlessVm j* -PassThru");
        Assert.All(started, o => Assert.Equal("Running", Prop(o, "State")!.ToString()));
        Assert.Equal($"{address}:97,password=on", Argv((int)Prop(started[1], "ProcessId")!).SkipWhile(a => a != "-vnc").ElementAt(1));
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "j1");
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "j2");

        // Stopped and started again: a new qemu, whose password is set again.
        _ps.Ok("Stop-HeadlessVm j* -Force");
        _ps.Ok("Start-HeadlessVm j2");
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "j2");
    }

    [Fact]
    public void WhatIf_changes_nothing()
    {
        var r = _ps.Run("New-HeadlessVm ghost -WhatIf");
        Assert.Empty(r.Output);
        Assert.False(Directory.Exists(Path.Combine(_ps.StateRoot, "vms", "ghost")));

        var vm = _ps.Ok("New-HeadlessVm keep -MemoryMB 64 -Accelerator Tcg").Single();
        var pid = (int)Prop(vm, "ProcessId")!;
        _ps.Ok("Get-HeadlessVm keep | Stop-HeadlessVm -Force -WhatIf");
        _ps.Ok("Suspend-HeadlessVm keep -WhatIf");
        _ps.Ok("Remove-HeadlessVm keep -Force -WhatIf");
        var after = _ps.Ok("Get-HeadlessVm keep").Single();
        Assert.Equal("Running", Prop(after, "State")!.ToString());
        Assert.Equal(pid, Prop(after, "ProcessId"));
        Assert.True(ProcessInfo.IsAlive(pid));
        _ps.Ok("Stop-HeadlessVm keep -Force");
    }

    [Fact]
    public void Suspend_Resume_and_Restart_change_the_live_state_that_Get_HeadlessVm_reads_from_qemu()
    {
        var pid = (int)Prop(_ps.Ok("New-HeadlessVm pz -MemoryMB 64 -Accelerator Tcg").Single(), "ProcessId")!;

        // -For Paused waits for a pause: on a running VM it ends in a timeout naming the state the VM is in.
        var notPaused = Assert.Single(_ps.Run("Wait-HeadlessVm pz -For Paused -TimeoutSec 1").Errors);
        Assert.Equal("VmStateWaitTimeout", notPaused.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.OperationTimeout, notPaused.CategoryInfo.Category);
        Assert.Equal("pz", notPaused.TargetObject);
        Assert.Contains("it is Running", notPaused.Exception.Message);

        Assert.Equal("Paused", Prop(_ps.Ok("Suspend-HeadlessVm pz -PassThru").Single(), "State")!.ToString());
        Assert.Equal("Paused", Prop(_ps.Ok("Get-HeadlessVm pz").Single(), "State")!.ToString());
        Assert.Equal("Paused", Prop(_ps.Ok("Wait-HeadlessVm pz -For Paused -TimeoutSec 60 -PassThru").Single(), "State")!.ToString());
        Assert.Equal("Running", Prop(_ps.Ok("Resume-HeadlessVm pz -PassThru").Single(), "State")!.ToString());
        Assert.Equal("Running", Prop(_ps.Ok("Wait-HeadlessVm pz -For Running -TimeoutSec 60 -PassThru").Single(), "State")!.ToString());

        // Restart is a hard reset in the same qemu (GuestSessionTests watches a guest boot again after it), with
        // the CPUs stopped around it so that the serial log's boot boundary falls between the two boots.
        var restart = _ps.Run("Restart-HeadlessVm pz -PassThru -Debug");
        Assert.Empty(restart.Errors);
        Assert.Equal(new[] { "qmp_capabilities", "query-status", "stop", "system_reset", "cont" }, QmpCommands(restart.Debug).Take(5));
        var restarted = restart.Output.Single();
        Assert.Equal("Running", Prop(restarted, "State")!.ToString());
        Assert.Equal(pid, Prop(restarted, "ProcessId"));
        _ps.Ok("Stop-HeadlessVm pz -Force");

        var notRunning = _ps.Run("Suspend-HeadlessVm pz");
        var error = Assert.Single(notRunning.Errors);
        Assert.StartsWith("VmNotRunning,", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.Equal("pz", error.TargetObject);
    }

    [Fact]
    public void A_VM_whose_qemu_was_killed_shows_as_stopped_and_starts_again()
    {
        // On an address of its own: while it is down, no other program can take its display.
        var pid = (int)Prop(_ps.Ok($"New-HeadlessVm victim -MemoryMB 64 -Accelerator Tcg -ListenAddress {FreePorts.PrivateLoopbackAddress()}").Single(), "ProcessId")!;
        ProcessInfo.Signal(pid, ProcessInfo.SIGKILL);
        Assert.True(ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(15)), $"qemu (PID {pid}) still runs 15 s after SIGKILL");

        var listed = _ps.Ok("Get-HeadlessVm victim").Single();
        Assert.True("Stopped" == Prop(listed, "State")!.ToString(), $"after kill -9: State {Prop(listed, "State")}, PID {Prop(listed, "ProcessId")}");
        Assert.Null(Prop(listed, "ProcessId"));

        var again = _ps.Ok("Start-HeadlessVm victim -PassThru").Single();
        Assert.True("Running" == Prop(again, "State")!.ToString(), $"after Start: State {Prop(again, "State")}, PID {Prop(again, "ProcessId")} (killed PID {pid})");
        Assert.NotEqual(pid, Prop(again, "ProcessId"));
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "victim");
        _ps.Ok("Stop-HeadlessVm victim -Force");
    }

    [Fact]
    public void A_pidfile_naming_another_program_is_not_taken_for_the_VM()
    {
        _ps.Ok("New-HeadlessVm reused -NoStart");
        // Some other live process now has the PID the file names, as after PID reuse.
        File.WriteAllText(Path.Combine(_ps.StateRoot, "vms", "reused", "qemu.pid"), Environment.ProcessId + "\n");
        var listed = _ps.Ok("Get-HeadlessVm reused").Single();
        Assert.Equal("Stopped", Prop(listed, "State")!.ToString());
        Assert.Null(Prop(listed, "ProcessId"));
        File.Delete(Path.Combine(_ps.StateRoot, "vms", "reused", "qemu.pid"));
    }

    [Fact]
    public void Remove_HeadlessVm_refuses_a_running_VM_without_Force_and_never_deletes_the_users_disks()
    {
        var disk = Path.Combine(_ps.WorkFolder, "data.qcow2");
        RunQemuImg("create", "-f", "qcow2", disk, "16M");
        var pid = (int)Prop(_ps.Ok($"New-HeadlessVm rm1 -MemoryMB 64 -Accelerator Tcg -DiskPath ./data.qcow2").Single(), "ProcessId")!;
        Assert.Contains($"file={disk},format=qcow2,if=virtio", Argv(pid));

        var refused = _ps.Run("Remove-HeadlessVm rm1");
        var error = Assert.Single(refused.Errors);
        Assert.StartsWith("VmIsRunning,", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.True(ProcessInfo.IsAlive(pid));

        _ps.Ok("Get-HeadlessVm rm1 | Remove-HeadlessVm -Force");
        Assert.False(ProcessInfo.IsAlive(pid));
        Assert.False(Directory.Exists(Path.Combine(_ps.StateRoot, "vms", "rm1")));
        Assert.True(File.Exists(disk));
        Assert.Empty(_ps.Ok("Get-HeadlessVm"));
    }

    [Fact]
    public void State_folders_are_private_to_the_user()
    {
        _ps.Ok("New-HeadlessVm priv -MemoryMB 64 -Accelerator Tcg");
        var folder = Path.Combine(_ps.StateRoot, "vms", "priv");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        foreach (var file in new[] { "vm.json", "vnc.password", "run.json" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, file)));
        }

        // The VNC password was set over QMP, never on the command line ps shows.
        var password = File.ReadAllText(Path.Combine(folder, "vnc.password")).Trim();
        Assert.Equal(8, password.Length);
        var pid = (int)Prop(_ps.Ok("Get-HeadlessVm priv").Single(), "ProcessId")!;
        Assert.DoesNotContain(Argv(pid), a => a.Contains(password, StringComparison.Ordinal));
        _ps.Ok("Stop-HeadlessVm priv -Force");
    }

    [Fact]
    public void A_VM_created_in_one_process_is_listed_and_stopped_from_another()
    {
        var pid = (int)Prop(_ps.Ok("New-HeadlessVm shared -MemoryMB 64 -Accelerator Tcg").Single(), "ProcessId")!;

        var listed = SecondProcess.Run(_ps.StateRoot, "Get-HeadlessVm | ForEach-Object { '{0} {1} {2}' -f $_.Name, $_.State, $_.ProcessId }");
        Assert.Equal(0, listed.ExitCode);
        Assert.Equal($"shared Running {pid}", listed.Stdout.Trim());

        var stopped = SecondProcess.Run(_ps.StateRoot, "Get-HeadlessVm shared | Stop-HeadlessVm -Force -PassThru | ForEach-Object { $_.State }");
        Assert.Equal(0, stopped.ExitCode);
        Assert.Equal("Stopped", stopped.Stdout.Trim());
        Assert.False(ProcessInfo.IsAlive(pid));
        Assert.Equal("Stopped", Prop(_ps.Ok("Get-HeadlessVm shared").Single(), "State")!.ToString());
    }

    [Fact]
    public void Two_processes_creating_VMs_at_the_same_moment_never_get_the_same_name_or_VNC_display()
    {
        var script = "foreach ($i in 1..4) { New-HeadlessVm \"race-$env:HVM_TAG-$i\" -NoStart -ErrorAction Continue | ForEach-Object { $_.VncDisplay } }; " +
                     "New-HeadlessVm contested -NoStart -ErrorAction Continue | ForEach-Object { 'won ' + $_.VncDisplay }";
        var a = SecondProcess.Start(_ps.StateRoot, script, ("HVM_TAG", "a"));
        var b = SecondProcess.Start(_ps.StateRoot, script, ("HVM_TAG", "b"));
        var ra = SecondProcess.Finish(a);
        var rb = SecondProcess.Finish(b);

        var outputs = (ra.Stdout + rb.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(outputs, o => o.StartsWith("won ", StringComparison.Ordinal));
        var displays = outputs.Select(o => int.Parse(o.Replace("won ", string.Empty))).ToList();
        Assert.Equal(9, displays.Count);
        Assert.Equal(displays.Count, displays.Distinct().Count());
        Assert.Contains("VmAlreadyExists", ra.Stderr + rb.Stderr);
        Assert.Equal(9, _ps.Ok("Get-HeadlessVm").Count);
    }

    [Fact]
    public void Ctrl_C_during_Stop_HeadlessVm_stops_the_waiting_and_leaves_the_VM_running()
    {
        var pid = (int)Prop(_ps.Ok("New-HeadlessVm patient -MemoryMB 64 -Accelerator Tcg").Single(), "ProcessId")!;
        // A firmware-only guest ignores the power button: only Ctrl+C can end this wait before its hour is up.
        Assert.Equal(PSInvocationState.Stopped, _ps.StopWhileWaiting("Stop-HeadlessVm patient -TimeoutSec 3600"));
        Assert.True(ProcessInfo.IsAlive(pid));
        Assert.Equal("Running", Prop(_ps.Ok("Get-HeadlessVm patient").Single(), "State")!.ToString());
        _ps.Ok("Stop-HeadlessVm patient -Force");
    }

    private static void RunQemuImg(params string[] args)
    {
        var result = BoundedProcess.Run("qemu-img", args, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output);
    }
}
