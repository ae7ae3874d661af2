using System.Diagnostics;
using System.Management.Automation;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;
using Xunit.Abstractions;

namespace HeadlessVm.Tests;

/// <summary>
/// The module under faults, with real processes: pwsh killed (-9) between qemu's start and the run
/// record, qemu and websockify killed mid-command, a state folder that is full, and 200 create, start,
/// bridge, stop and remove cycles in one long-lived runspace that must leave nothing behind.
/// </summary>
[Collection("PowerShell")]
public sealed class FaultTests : IDisposable
{
    private readonly PowerShellSession _ps = new();
    private readonly ITestOutputHelper _output;

    public FaultTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _ps.Dispose();

    private static object? P(PSObject o, string name) => o.Properties[name]?.Value;

    /// <summary>pwsh 7.4+ for a child shell: ~/.dotnet/tools/pwsh (as installed here and in CI), else the one on PATH.</summary>
    private static string Pwsh()
    {
        var tool = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".dotnet", "tools", "pwsh");
        return File.Exists(tool) ? tool : NativeRunner.FindExecutable("pwsh") ?? throw new InvalidOperationException("pwsh is not installed (~/.dotnet/tools/pwsh or on PATH).");
    }

    /// <summary>A child pwsh that imports the module from this worktree and runs <paramref name="script"/> against the session's state folder.</summary>
    private Process StartPwsh(string script)
    {
        var psi = new ProcessStartInfo(Pwsh()) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _ps.WorkFolder };
        foreach (var a in new[] { "-NoProfile", "-NonInteractive", "-Command", $"Import-Module '{RepoPaths.Manifest}' -ErrorAction Stop; {script}" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HEADLESSVM_HOME"] = _ps.StateRoot;
        return Process.Start(psi)!;
    }

    private IReadOnlyList<int> QemusOf(string vm) => ConsoleTestKit.QemusWithSocket(_ps.Paths.ForVm(vm).QmpSocket);

    private static int OpenDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    [Theory]
    [InlineData("New-HeadlessVm k1 -MemoryMB 32 -Accelerator Tcg -Network None -Paused", "Get-HeadlessVm k1")]
    [InlineData("Start-HeadlessVm k1 -Paused", "Start-HeadlessVm k1 -Paused -PassThru")]
    public void Pwsh_killed_between_qemus_start_and_its_run_record_leaves_a_VM_that_the_next_command_finishes(string starter, string next)
    {
        if (starter.StartsWith("Start", StringComparison.Ordinal))
        {
            _ps.Ok("New-HeadlessVm k1 -NoStart -MemoryMB 32 -Accelerator Tcg -Network None");
        }

        using (var wrapper = new QemuWrapper(_ps.StateRoot))
        {
            using var pwsh = StartPwsh(starter);
            try
            {
                var (_, module) = wrapper.WaitForCue(TimeSpan.FromSeconds(120));
                // qemu runs; its password is not set and its run record not written: the window.
                Assert.Single(QemusOf("k1"));
                Assert.False(File.Exists(_ps.Paths.ForVm("k1").RunFile));
                // The wrapper's parent is the pwsh that runs the module (~/.dotnet/tools/pwsh is a launcher
                // whose child, 'dotnet pwsh.dll', is the shell): kill -9 it.
                Assert.Contains(ProcessInfo.CommandLine(module)!, a => a.EndsWith("pwsh.dll", StringComparison.Ordinal) || a.EndsWith("pwsh", StringComparison.Ordinal));
                ProcessInfo.Signal(module, ProcessInfo.SIGKILL);
                ConsoleTestKit.AssertDead(module);
                Assert.True(pwsh.WaitForExit(10_000));
            }
            finally
            {
                if (!pwsh.HasExited)
                {
                    pwsh.Kill(entireProcessTree: true);
                }
            }
        }

        var qemu = Assert.Single(QemusOf("k1"));
        var r = _ps.Run(next);
        Assert.Empty(r.Errors);
        Assert.Contains(r.Warnings, w => w.Contains("did not finish", StringComparison.Ordinal));
        var vm = r.Output.Single();
        Assert.Equal("Paused", P(vm, "State")!.ToString());
        Assert.Equal(qemu, P(vm, "ProcessId"));
        var password = File.ReadAllText(_ps.Paths.ForVm("k1").VncPasswordFile).Trim();
        Assert.Equal(0u, VncPassword.Authenticate((int)P(vm, "VncPort")!, password));
        Assert.Equal("Tcg", P(_ps.Ok("Get-HeadlessVm k1").Single(), "Accelerator")!.ToString());
        _ps.Ok("Stop-HeadlessVm k1 -Force");
        Assert.Empty(QemusOf("k1"));
    }

    [Fact]
    public void Qemu_killed_mid_command_ends_the_wait_with_the_VMs_state_and_the_VM_starts_again()
    {
        _ps.Ok("'q1', 'q2' | ForEach-Object { New-HeadlessVm $_ -MemoryMB 32 -Accelerator Tcg -Network None -Paused } | Out-Null");

        // Killed while Stop-HeadlessVm waits for the guest to shut down (this guest never does). q1 runs first: a
        // VM that never left qemu's prelaunch is powered off at once, with no wait to be killed in.
        _ps.Ok("Resume-HeadlessVm q1");
        var stop = Kill9During("Stop-HeadlessVm q1 -TimeoutSec 120 -PassThru", "q1");
        Assert.Empty(stop.Errors);
        Assert.Equal("Stopped", P(stop.Output.Single(), "State")!.ToString());

        // Killed while Wait-HeadlessVm waits for a line: VmNotRunning, not a wait to the timeout.
        var wait = Kill9During("Wait-HeadlessVm q2 -ForText 'never printed' -TimeoutSec 120", "q2");
        Assert.Equal("VmNotRunning", Assert.Single(wait.Errors).FullyQualifiedErrorId.Split(',')[0]);

        // Nothing of the dead runs is left in the way: both start again, and their consoles take their passwords.
        foreach (var vm in _ps.Ok("Start-HeadlessVm q1, q2 -Paused -PassThru"))
        {
            Assert.Equal("Paused", P(vm, "State")!.ToString());
            var password = File.ReadAllText(_ps.Paths.ForVm((string)P(vm, "Name")!).VncPasswordFile).Trim();
            Assert.Equal(0u, VncPassword.Authenticate((int)P(vm, "VncPort")!, password));
        }

        _ps.Ok("Stop-HeadlessVm q1, q2 -Force");
    }

    /// <summary>Runs a waiting command, kill -9s the VM's qemu once it reports progress, and returns what the command did.</summary>
    private PsResult Kill9During(string script, string vm)
    {
        using var ps = _ps.CreatePowerShell();
        ps.AddScript(script);
        var pending = ps.BeginInvoke();
        var clock = Stopwatch.StartNew();
        while (ps.Streams.Progress.Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(20);
        }

        var qemu = Assert.Single(QemusOf(vm));
        ProcessInfo.Signal(qemu, ProcessInfo.SIGKILL);
        Assert.True(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), $"'{script}' did not end after qemu was killed");
        var output = ps.EndInvoke(pending).ToList();
        return new PsResult(output, ps.Streams.Error.ToList(), ps.Streams.Warning.Select(w => w.Message).ToList(), new(), new(), new(), null);
    }

    [Fact]
    public void Websockify_killed_leaves_a_stopped_bridge_that_Start_VncBridge_serves_again_and_Stop_cleans_up()
    {
        var bridge = _ps.Ok($"New-HeadlessVm w1 -MemoryMB 32 -Network None -Accelerator Tcg -Paused | Start-VncBridge -WebPort {FreePorts.Next()}").Single();
        var server = (int)P(bridge, "ProcessId")!;
        ProcessInfo.Signal(server, ProcessInfo.SIGKILL);
        ConsoleTestKit.AssertDead(server);

        Assert.Equal("Stopped", P(_ps.Ok("Get-VncBridge w1").Single(), "State")!.ToString());
        Assert.Null(P(_ps.Ok("Get-HeadlessVm w1").Single(), "ConsoleUrl"));
        Assert.Equal("BridgeNotRunning", Assert.Single(_ps.Run("Get-VmConsoleUrl w1").Errors).FullyQualifiedErrorId.Split(',')[0]);

        var again = _ps.Ok("Start-VncBridge w1").Single();
        Assert.Equal("Running", P(again, "State")!.ToString());
        var url = (Uri)P(again, "Url")!;
        Assert.NotEqual(((Uri)P(bridge, "Url")!).Query, url.Query);
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(url, ConsoleTestKit.TokenOf(url))));

        // Killed again, then the VM goes: nothing of either server is left.
        ProcessInfo.Signal((int)P(again, "ProcessId")!, ProcessInfo.SIGKILL);
        _ps.Ok("Stop-HeadlessVm w1 -Force; Remove-HeadlessVm w1");
        Assert.Empty(LeftoverProcesses.Find(_ps.StateRoot));
        Assert.False(Directory.Exists(_ps.Paths.ConsolesFolder) && Directory.EnumerateFileSystemEntries(_ps.Paths.ConsolesFolder).Any());
    }

    [Fact]
    public void A_full_state_folder_is_StateFolderUnusable_leaves_no_half_file_and_no_process_and_works_once_freed()
    {
        using var mount = new TmpfsMount(Path.Combine(_ps.StateRoot, "full"), "2m");
        var home = Path.Combine(mount.Folder, "state");
        // A display far from the ones other VMs on this machine pick first, so that it is still free when f1 starts at the end.
        var display = Enumerable.Range(60, 39).First(d => Ports.IsFree("127.0.0.1", 5900 + d));
        _ps.Ok($"$env:HEADLESSVM_HOME = '{home}'; New-HeadlessVm f1 -NoStart -MemoryMB 32 -Accelerator Tcg -Network None -VncDisplay {display} | Out-Null");
        var spec = File.ReadAllText(new StatePaths(home).ForVm("f1").SpecFile);
        try
        {
            mount.Fill();
            var create = _ps.Run("New-HeadlessVm f2 -NoStart -MemoryMB 32 -Accelerator Tcg");
            var error = Assert.Single(create.Errors);
            Assert.Equal("StateFolderUnusable", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("No space left on device", error.Exception.Message);
            Assert.Contains("HEADLESSVM_HOME", error.Exception.Message);
            Assert.False(Directory.Exists(new StatePaths(home).ForVm("f2").Folder));

            var start = _ps.Run("Start-HeadlessVm f1 -Paused");
            Assert.Single(start.Errors);
            _output.WriteLine($"Start-HeadlessVm on a full disk: {start.Errors[0].FullyQualifiedErrorId}: {start.Errors[0].Exception.Message}");
            Assert.Empty(QemusOfHome(home, "f1"));
            Assert.Equal(spec, File.ReadAllText(new StatePaths(home).ForVm("f1").SpecFile));

            var bridge = _ps.Run($"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName t1 -WebPort {FreePorts.Next()}");
            Assert.Single(bridge.Errors);
            Assert.Empty(LeftoverProcesses.Find(home));
            Assert.Empty(Directory.EnumerateFiles(home, "*.tmp", SearchOption.AllDirectories));
            Assert.Empty(Directory.EnumerateFiles(home, ".*.tmp", SearchOption.AllDirectories));

            mount.Free();
            Assert.Equal("Paused", P(_ps.Ok("Start-HeadlessVm f1 -Paused -PassThru").Single(), "State")!.ToString());
        }
        finally
        {
            _ps.Run("Stop-HeadlessVm f1 -Force; Remove-HeadlessVm f1, f2 -ErrorAction SilentlyContinue");
            _ps.Ok($"$env:HEADLESSVM_HOME = '{_ps.StateRoot}'");
        }
    }

    private static IReadOnlyList<int> QemusOfHome(string home, string vm) => ConsoleTestKit.QemusWithSocket(new StatePaths(home).ForVm(vm).QmpSocket);

    [Fact]
    public void Two_hundred_create_start_bridge_stop_remove_cycles_leave_no_process_token_socket_lock_folder_or_descriptor_behind()
    {
        const int cycles = 200;
        var cycle = $"New-HeadlessVm \"cy$i\" -MemoryMB 32 -Network None -Accelerator Tcg -Paused | Start-VncBridge -WebPort {FreePorts.Next()} | Out-Null; " +
            "Stop-HeadlessVm \"cy$i\" -Force; Remove-HeadlessVm \"cy$i\"";
        // Warm up: the first cycles load code and open what stays open for good (assemblies, the runspace's own files).
        _ps.Ok($"foreach ($i in 1..3) {{ {cycle} }}");
        var before = OpenDescriptors();
        var clock = Stopwatch.StartNew();
        // One Run per cycle: each cycle has the hang bound of a script (PowerShellSession.ScriptLimit), so a slow
        // machine finishes all of them and only a cycle that hangs fails the test.
        for (var i = 1; i <= cycles; i++)
        {
            var r = _ps.Run($"$i = {i}; {cycle}");
            Assert.True(r.Terminating is null && r.Errors.Count == 0,
                $"cycle {i}: {r.Terminating?.Message}\n" + string.Join("\n", r.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        }

        clock.Stop();
        var after = OpenDescriptors();
        _output.WriteLine($"{cycles} cycles in {clock.Elapsed.TotalSeconds:0.0} s ({clock.Elapsed.TotalMilliseconds / cycles:0} ms each); open descriptors {before} before, {after} after.");

        Assert.Empty(LeftoverProcesses.Find(_ps.StateRoot));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_ps.Paths.VmsFolder));
        Assert.True(!Directory.Exists(_ps.Paths.ConsolesFolder) || !Directory.EnumerateFileSystemEntries(_ps.Paths.ConsolesFolder).Any(), "a console server folder (or token) is left");
        Assert.True(!Directory.Exists(_ps.Paths.BridgesFolder) || !Directory.EnumerateFileSystemEntries(_ps.Paths.BridgesFolder).Any());
        Assert.Empty(Directory.EnumerateFiles(_ps.StateRoot, "*.sock", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(_ps.StateRoot, "*.tmp", SearchOption.AllDirectories));
        // No lock is held: both are free at once.
        using (FileLock.Acquire(_ps.Paths.LockFile, timeout: TimeSpan.FromMilliseconds(100)))
        using (FileLock.Acquire(_ps.Paths.BridgeLockFile, timeout: TimeSpan.FromMilliseconds(100)))
        {
        }

        // A leak of one descriptor a cycle would show as 200; the slack is for the test host's own threads.
        Assert.InRange(after - before, -50, 20);
    }
}
