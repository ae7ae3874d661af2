using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tests;

/// <summary>
/// Every file the module reads back goes through one defensive reader: a missing file is none, a damaged
/// one is named with why, and nothing throws for a file's content. Locks are bounded, and a folder that
/// cannot hold them fails at once.
/// </summary>
public sealed class DamagedStateTests : IDisposable
{
    private readonly TempStore _temp = new("hvm-dmg-");

    public void Dispose() => _temp.Dispose();

    private StatePaths Paths => _temp.Paths;

    public static TheoryData<string, string> DamagedJson => new()
    {
        { string.Empty, "empty" },
        { "   \n", "empty" },
        { "{ \"Name\": \"web1\", \"Memo", "not a valid record" },
        { "null", "null" },
        { "[1, 2]", "not a valid record" },
        { "\0\0\0\0", "NUL" },
        { "{ \"Name\": \"other\" }", "names VM 'other'" },
        { "{ \"Name\": \"web1\", \"Disks\": null }", "lacks fields" },
        { "{ \"Name\": \"web1\", \"Disks\": [ { \"Path\": \"/x.qcow2\" } ] }", "lacks fields" },
        { "{ \"Name\": \"web1\", \"MemoryMB\": -5 }", "out of range" },
        { "{ \"Name\": \"web1\", \"Accelerator\": \"Warp\" }", "not a valid record" },
    };

    [Theory]
    [MemberData(nameof(DamagedJson))]
    public void A_damaged_vm_json_is_VmRecordDamaged_naming_the_file_why_and_what_to_do(string content, string why)
    {
        var store = new VmStore(Paths);
        store.Save(new VmSpec { Name = "good" });
        Directory.CreateDirectory(Paths.ForVm("web1").Folder);
        File.WriteAllText(Paths.ForVm("web1").SpecFile, content);

        var read = store.Read("web1");
        Assert.True(read.Damaged);
        Assert.Contains(why, read.Damage);
        var error = Assert.Throws<HeadlessVmException>(() => store.Find("web1"));
        Assert.Equal(ErrorIds.VmRecordDamaged, error.ErrorId);
        Assert.Equal(FailureKind.InvalidData, error.Kind);
        Assert.Equal("web1", error.Target);
        Assert.Contains(Paths.ForVm("web1").SpecFile, error.Message);
        Assert.Contains("Remove-HeadlessVm web1 -Force", error.Message);

        // The store still lists both names and reads the sound one.
        Assert.Equal(new[] { "good", "web1" }, store.Names());
        Assert.Equal(new[] { "good" }, store.List().Select(s => s.Name));
    }

    [Fact]
    public void Run_bridge_server_token_password_and_pid_files_read_back_as_missing_sound_or_damaged()
    {
        var vm = Paths.ForVm("web1");
        var server = Paths.ForConsoleServer("127.0.0.1", 6080);
        Directory.CreateDirectory(vm.Folder);
        Directory.CreateDirectory(server.TokensFolder);

        Assert.True(RunRecord.Read(vm).Missing);
        File.WriteAllText(vm.RunFile, "{\"Accelerator\":\"Tcg\",");
        Assert.True(RunRecord.Read(vm).Damaged);
        new RunRecord(AcceleratorKind.Tcg, "max").Write(vm);
        Assert.Equal("max", RunRecord.Read(vm).Value!.Cpu);

        File.WriteAllText(vm.Bridge.RecordFile, "garbage");
        Assert.True(VncBridgeRecord.Read(vm.Bridge, "web1").Damaged);
        new VncBridgeRecord("other", "other", "127.0.0.1:5901", "127.0.0.1", 6080, "/usr/share/novnc", null, null, DateTimeOffset.Now).Write(vm.Bridge);
        Assert.Contains("names bridge 'other'", VncBridgeRecord.Read(vm.Bridge, "web1").Damage);

        File.WriteAllText(server.RecordFile, "{}");
        Assert.True(ConsoleServerRecord.Read(server).Damaged);

        File.WriteAllText(server.TokenFile("web1"), "no token here\n");
        Assert.True(TokenLine.Read(server.TokenFile("web1")).Damaged);
        File.WriteAllText(server.TokenFile("web1"), "# only a comment\n");
        Assert.True(TokenLine.Read(server.TokenFile("web1")).Damaged);

        Assert.True(VmSecrets.ReadVncPasswordRecord(vm).Missing);
        File.WriteAllText(vm.VncPasswordFile, "much-too-long-password");
        Assert.True(VmSecrets.ReadVncPasswordRecord(vm).Damaged);
        Assert.Equal(string.Empty, VmSecrets.ReadVncPassword(vm));
        File.WriteAllText(vm.VncPasswordFile, "Ab3dEf7h\n");
        Assert.Equal("Ab3dEf7h", VmSecrets.ReadVncPassword(vm));

        // A folder where a record should be is damage, not absence.
        Directory.CreateDirectory(Paths.ForVm("web2").SpecFile);
        Assert.Contains("folder", new VmStore(Paths).Read("web2").Damage);
    }

    [Fact]
    public void A_damaged_pidfile_does_not_hide_a_live_daemon_that_its_command_line_names()
    {
        // A process whose argv names a file of this store, as qemu's names its QMP socket: tail -f waits forever.
        var marker = Path.Combine(_temp.Root, "daemon-marker");
        File.WriteAllText(marker, string.Empty);
        var pidFile = Path.Combine(_temp.Root, "d.pid");
        using var sleeper = System.Diagnostics.Process.Start("tail", new[] { "-f", marker })!;
        try
        {
            var daemon = new Daemon(pidFile, argv => argv.Contains(marker));
            Assert.Null(daemon.Find());
            File.WriteAllText(pidFile, "12ab\0");
            Assert.Equal(sleeper.Id, daemon.Find());
            File.WriteAllText(pidFile, sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(sleeper.Id, daemon.Find());
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void A_lock_held_elsewhere_is_StateLocked_after_the_timeout_naming_the_holders_PID()
    {
        using var held = FileLock.Acquire(Paths.LockFile);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // On a task of its own, so that a wait that ignores its timeout fails this test instead of hanging the run.
        var waiting = Task.Run(() => FileLock.Acquire(Paths.LockFile, timeout: TimeSpan.FromMilliseconds(300)));
        Assert.True(((IAsyncResult)waiting).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "the lock wait went on past its 300 ms timeout");
        var error = Assert.IsType<HeadlessVmException>(Assert.Single(waiting.Exception!.InnerExceptions));
        Assert.Equal(ErrorIds.StateLocked, error.ErrorId);
        Assert.Equal(FailureKind.ResourceBusy, error.Kind);
        Assert.Contains($"PID {Environment.ProcessId}", error.Message);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Waiting_for_a_lock_ends_when_cancelled_and_a_released_lock_is_taken()
    {
        var held = FileLock.Acquire(Paths.LockFile);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.ThrowsAny<OperationCanceledException>(() => FileLock.Acquire(Paths.LockFile, cancel.Token));
        held.Dispose();
        using var again = FileLock.Acquire(Paths.LockFile, timeout: TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_state_folder_that_is_a_file_or_under_proc_fails_at_once_naming_what_it_is()
    {
        var file = Path.Combine(_temp.Root, "a-file");
        File.WriteAllText(file, "x");
        var error = Assert.Throws<StateWriteException>(() => FileLock.Acquire(new StatePaths(file).LockFile));
        Assert.Contains("is a file, not a folder", error.Reason);

        error = Assert.Throws<StateWriteException>(() => FileLock.Acquire(new StatePaths("/proc/headlessvm-test").LockFile));
        Assert.Contains("/proc", error.Reason);

        var unusable = HeadlessVmErrors.StateFolderUnusable("web1", StatePaths.FromEnvironment(n => n == "HEADLESSVM_HOME" ? "/proc/x" : null), error);
        Assert.Equal(ErrorIds.StateFolderUnusable, unusable.ErrorId);
        Assert.Equal(FailureKind.WriteError, unusable.Kind);
        Assert.Contains("'/proc/x' (set by HEADLESSVM_HOME)", unusable.Message);
    }

    [Fact]
    public void A_relative_state_folder_is_resolved_by_the_caller_or_refused()
    {
        string? Env(string n) => n == "HEADLESSVM_HOME" ? "lab/state" : null;
        Assert.Equal("/work/lab/state", StatePaths.FromEnvironment(Env, p => Path.Combine("/work", p)).Root);
        Assert.Equal("HEADLESSVM_HOME", StatePaths.FromEnvironment(Env, p => Path.Combine("/work", p)).Source);
        Assert.Equal(ErrorIds.StateFolderRelative, Assert.Throws<HeadlessVmException>(() => StatePaths.FromEnvironment(Env)).ErrorId);
        Assert.Equal("/h/x/.local/state/headlessvm", StatePaths.FromEnvironment(n => n == "HOME" ? "x" : null, p => "/h/" + p).Root);
        Assert.Throws<ArgumentException>(() => new StatePaths("relative"));
    }
}
