using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>
/// A state folder that cannot be written fails fast with StateFolderUnusable, naming the folder and the
/// variable that chose it; a relative HEADLESSVM_HOME is PowerShell's current location's, not the process's.
/// </summary>
[Collection("PowerShell")]
public sealed class StateFolderTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    /// <summary>Points the variable back at the session's own folder (never unset: that would mean the user's real store).</summary>
    private string RestoreHome => $"$env:HEADLESSVM_HOME = '{_ps.StateRoot}'";

    /// <summary>Runs a command that must end on its own: a hang (the old spin on the lock file) fails the test instead of hanging it.</summary>
    private PsResult RunBounded(string script)
    {
        using var ps = _ps.CreatePowerShell();
        ps.AddScript(script);
        var pending = ps.BeginInvoke();
        if (!pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)))
        {
            ps.Stop();
            throw new Xunit.Sdk.XunitException($"'{script}' did not return within 60 s.");
        }

        Exception? terminating = null;
        try
        {
            ps.EndInvoke(pending);
        }
        catch (RuntimeException ex)
        {
            terminating = ex;
        }

        return new PsResult(new(), ps.Streams.Error.ToList(), ps.Streams.Warning.Select(w => w.Message).ToList(), new(), new(), new(), terminating);
    }

    private static void AssertUnusable(PsResult r, string target, string folder, string because)
    {
        Assert.Null(r.Terminating);
        var error = Assert.Single(r.Errors);
        Assert.Equal("StateFolderUnusable", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.WriteError, error.CategoryInfo.Category);
        Assert.Equal(target, error.TargetObject);
        Assert.Contains($"'{folder}' (set by HEADLESSVM_HOME)", error.Exception.Message);
        Assert.Contains(because, error.Exception.Message);
    }

    [Fact]
    public void A_running_VM_with_a_bridge_and_a_previous_run_has_nothing_in_the_state_folder_for_group_or_others()
    {
        // qemu runs daemonized under umask 027: its serial log and QMP socket were group-readable before the module saw to them.
        _ps.Ok($"New-HeadlessVmDisk ./m.qcow2 -SizeGB 1 | Out-Null; New-HeadlessVm m1 -MemoryMB 64 -Network None -Accelerator Tcg -DiskPath ./m.qcow2 | Out-Null");
        _ps.Ok("Stop-HeadlessVm m1 -Force | Out-Null; Start-HeadlessVm m1 | Out-Null; Checkpoint-HeadlessVm m1 cp | Out-Null");
        _ps.Ok($"Start-VncBridge m1 -WebPort {FreePorts.Next()} | Out-Null; Get-HeadlessVmSerialLog m1 | Out-Null");
        var vm = _ps.Paths.ForVm("m1");
        foreach (var file in new[] { vm.SerialLog, vm.PreviousSerialLog, vm.QmpSocket, vm.PidFile, vm.RunFile, vm.VncPasswordFile })
        {
            Assert.True(File.Exists(file), $"{file} is missing");
        }

        Assert.True(ConsoleTestKit.AssertAllPrivate(_ps.Paths.Root, _ps.WorkFolder) > 15);
        _ps.Ok("Get-VncBridge | Stop-VncBridge; Stop-HeadlessVm m1 -Force | Out-Null");
    }

    [Fact]
    public void On_a_read_only_mount_creating_starting_and_bridging_fail_at_once_and_listing_still_works()
    {
        using var mount = new TmpfsMount(Path.Combine(_ps.StateRoot, "ro"));
        var home = Path.Combine(mount.Folder, "state");
        // No VM runs: a process that writes there (qemu's serial log) would keep the mount from going read-only.
        _ps.Ok($"$env:HEADLESSVM_HOME = '{home}'; New-HeadlessVm r1 -NoStart -MemoryMB 32 -Accelerator Tcg; New-HeadlessVm r2 -NoStart -MemoryMB 32 -Accelerator Tcg");
        try
        {
            mount.ReadOnly();
            AssertUnusable(RunBounded("New-HeadlessVm r3 -NoStart -MemoryMB 32 -Accelerator Tcg"), "r3", home, "Read-only file system");
            AssertUnusable(RunBounded("Start-HeadlessVm r1"), "r1", home, "Read-only file system");
            AssertUnusable(RunBounded($"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName t1 -WebPort {FreePorts.Next()}"), "t1", home, "Read-only file system");
            Assert.Equal(new[] { "r1", "r2" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => o.BaseObject));
        }
        finally
        {
            mount.ReadWrite();
            _ps.Ok($"Remove-HeadlessVm r1, r2; {RestoreHome}");
        }
    }

    [Fact]
    public void A_state_folder_under_proc_or_that_is_a_file_is_named_with_its_variable()
    {
        AssertUnusable(RunBounded("$env:HEADLESSVM_HOME = '/proc/headlessvm-test'; New-HeadlessVm x1 -NoStart"), "x1", "/proc/headlessvm-test", "/proc");
        var file = Path.Combine(_ps.WorkFolder, "not-a-folder");
        File.WriteAllText(file, "x");
        AssertUnusable(RunBounded($"$env:HEADLESSVM_HOME = '{file}'; New-HeadlessVm x2 -NoStart"), "x2", file, "is a file, not a folder");
        // Listing says so too, rather than showing an empty store; below the file as well.
        AssertUnusable(RunBounded($"$env:HEADLESSVM_HOME = '{file}'; Get-HeadlessVm"), file, file, "is a file, not a folder");
        AssertUnusable(RunBounded($"$env:HEADLESSVM_HOME = '{file}/sub'; Get-HeadlessVm"), $"{file}/sub", $"{file}/sub", $"'{file}' is a file, not a folder");
        _ps.Ok(RestoreHome);
    }

    [Fact]
    public void A_relative_HEADLESSVM_HOME_is_the_current_locations_and_a_second_shell_there_finds_the_VMs()
    {
        var lab = Directory.CreateDirectory(Path.Combine(_ps.WorkFolder, "lab")).FullName;
        try
        {
            // The process's working folder is not lab: only PowerShell's location is.
            Assert.NotEqual(lab, Environment.CurrentDirectory);
            var vm = _ps.Ok($"Set-Location '{lab}'; $env:HEADLESSVM_HOME = 'state'; New-HeadlessVm rel1 -NoStart -MemoryMB 32 -Accelerator Tcg").Single();
            Assert.Equal(Path.Combine(lab, "state", "vms", "rel1"), vm.Properties["StatePath"].Value);
            Assert.True(File.Exists(Path.Combine(lab, "state", "vms", "rel1", "vm.json")));

            // Another process, started elsewhere, with the same relative variable, in the same location.
            var second = SecondProcess.Run("state", $"Set-Location '{lab}'; (Get-HeadlessVm).Name");
            Assert.Equal(0, second.ExitCode);
            Assert.Equal("rel1", second.Stdout.Trim());

            // A relative path while the location is not a folder is refused, not read against the process's folder.
            // (A statement-terminating error: the script goes on, the error is in the stream.)
            var r = _ps.Run("Set-Location Env:; Get-HeadlessVm");
            Assert.Equal("PathNotInFileSystem", Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0]);
        }
        finally
        {
            _ps.Ok($"Set-Location '{lab}'; Remove-HeadlessVm rel1; {RestoreHome}; Set-Location '{_ps.WorkFolder}'");
        }
    }

    [Fact]
    public void The_socket_path_limit_counts_UTF8_bytes_so_a_non_ASCII_folder_is_refused_before_qemu_runs()
    {
        // 50 two-byte letters: the socket path is short in characters (under 107) and long in bytes (over 107).
        var home = Path.Combine(_ps.StateRoot, new string('\u00e9', 50));
        var socket = Path.Combine(home, "vms", "u1", "qmp.sock");
        Assert.True(socket.Length <= 107 && System.Text.Encoding.UTF8.GetByteCount(socket) > 107);
        var r = RunBounded($"$env:HEADLESSVM_HOME = '{home}'; New-HeadlessVm u1 -MemoryMB 32 -Accelerator Tcg -Network None");
        _ps.Ok(RestoreHome);
        var error = Assert.Single(r.Errors);
        Assert.Equal("StatePathTooLong", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains($"{System.Text.Encoding.UTF8.GetByteCount(socket)} bytes", error.Exception.Message);
        Assert.False(Directory.Exists(Path.Combine(home, "vms", "u1")));
    }
}
