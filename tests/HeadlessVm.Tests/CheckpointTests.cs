using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>
/// Checkpoints on real qemu and qemu-img: a running test guest goes back to where it was (its own tty line buffer
/// proves it), a stopped VM's disk goes back to its bytes (qemu-io writes and checks them), and every refusal is its
/// own error with the VM as target, leaving the disks as they were.
/// </summary>
[Collection("PowerShell")]
public sealed class CheckpointTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void A_running_guest_restored_to_a_checkpoint_resumes_exactly_where_it_was_and_forgets_what_came_after()
    {
        _ps.Ok("New-HeadlessVmDisk data.qcow2 -SizeGB 1 | Out-Null");
        // An address of its own: the display picked at creation stays free there until the start.
        var created = _ps.Run("New-HeadlessVm c1 -Accelerator Tcg -MemoryMB 256 -KernelPath $kernel -InitrdPath $initrd -KernelArgument $cmdline " +
            $"-DiskPath data.qcow2 -Network None -NoStart -ListenAddress {FreePorts.PrivateLoopbackAddress()}", TestGuest.Variables);
        Assert.Empty(created.Errors);

        // A checkpoint of the stopped VM holds its disk only.
        var cold = _ps.Ok("Checkpoint-HeadlessVm c1 -SnapshotName cold -PassThru").Single();
        Assert.Equal(false, cold.Properties["HasMemory"].Value);
        Assert.Equal(0L, cold.Properties["VmStateSize"].Value);

        _ps.Ok("Start-HeadlessVm c1");
        _ps.Ok($"Wait-HeadlessVm c1 -ForText '^{TestGuest.Ready}$' -TimeoutSec 120 | Out-Null");

        // "e" is typed but not entered: it waits in the guest kernel's tty line buffer, which is guest memory. One key
        // only: send-key hands the first press to the emulated keyboard at once, and queues every later event in qemu
        // (100 ms apart), so keys after the first could reach the guest before or after the checkpoint.
        _ps.Ok("Send-HeadlessVmKey c1 -Text 'e'");
        var taken = _ps.Run("Checkpoint-HeadlessVm c1 -SnapshotName before -PassThru");
        Assert.Empty(taken.Errors);
        var before = taken.Output.Single();
        Assert.Equal("c1", before.Properties["VmName"].Value);
        Assert.Equal("before", before.Properties["SnapshotName"].Value);
        Assert.Equal(true, before.Properties["HasMemory"].Value);
        Assert.True((long)before.Properties["VmStateSize"].Value! > 1024 * 1024);
        Assert.Equal(new[] { _ps.Work("data.qcow2") }, ((IEnumerable<string>)before.Properties["DiskPath"].Value!).ToArray());
        Assert.Contains(taken.Progress, p => p.Activity.Contains("before") && p.RecordType == ProgressRecordType.Completed);
        Assert.Equal("Running", _ps.Ok("(Get-HeadlessVm c1).State").Single().ToString());

        // After the checkpoint: "late" completes the line.
        _ps.Ok("Send-HeadlessVmKey c1 -Text \"late`n\"");
        _ps.Ok($"Wait-HeadlessVm c1 -ForText '^{TestGuest.KeyPrefix}elate$' -TimeoutSec 60 | Out-Null");

        var restore = _ps.Run("Restore-HeadlessVmSnapshot c1 before -Confirm:$false -PassThru");
        Assert.Empty(restore.Errors);
        Assert.Equal("before", restore.Output.Single().Properties["SnapshotName"].Value);
        Assert.Equal("Running", _ps.Ok("(Get-HeadlessVm c1).State").Single().ToString());

        // The line buffer holds "e" again (the entered line never happened), so the next line is "eagain".
        _ps.Ok("Send-HeadlessVmKey c1 -Text \"again`n\"");
        var again = _ps.Ok($"Wait-HeadlessVm c1 -ForText '^{TestGuest.KeyPrefix}' -NewOutputOnly -TimeoutSec 60").Single().ToString();
        Assert.Equal(TestGuest.KeyPrefix + "eagain", again);

        // A disks-only checkpoint cannot be loaded under a running guest; nothing changes.
        var refused = Assert.Single(_ps.Run("Restore-HeadlessVmSnapshot c1 cold -Confirm:$false").Errors);
        Assert.Equal("SnapshotWithoutMemory", refused.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("c1", refused.TargetObject);
        Assert.Equal(ErrorCategory.InvalidOperation, refused.CategoryInfo.Category);
        Assert.Equal("Running", _ps.Ok("(Get-HeadlessVm c1).State").Single().ToString());

        var listed = _ps.Ok("Get-HeadlessVmSnapshot c1");
        Assert.Equal(new[] { "cold", "before" }, listed.Select(s => s.Properties["SnapshotName"].Value));

        // Removing from the running VM goes through qemu's snapshot-delete job; the image no longer has it.
        _ps.Ok("Get-HeadlessVmSnapshot c1 before | Remove-HeadlessVmSnapshot -Confirm:$false");
        Assert.Equal(new[] { "cold" }, _ps.Ok("Get-HeadlessVmSnapshot c1").Select(s => s.Properties["SnapshotName"].Value));
        Assert.DoesNotContain("before", NativeTool.Run("qemu-img", "snapshot", "-U", "-l", _ps.Work("data.qcow2")).Output);
        _ps.Ok("Stop-HeadlessVm c1 -Force");
    }

    [Fact]
    public void A_stopped_VMs_disks_go_back_to_their_bytes_at_the_checkpoint_and_a_piped_checkpoint_is_removed()
    {
        _ps.Ok("New-HeadlessVmDisk a.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVmDisk b.qcow2 -SizeGB 0.1 | Out-Null");
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0xaa 0 64k", _ps.Work("a.qcow2")).ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0x11 0 64k", _ps.Work("b.qcow2")).ExitCode);
        _ps.Ok("New-HeadlessVm s1 -Accelerator Tcg -MemoryMB 64 -DiskPath a.qcow2,b.qcow2 -NoStart | Out-Null");

        var first = _ps.Ok("Checkpoint-HeadlessVm s1 first -PassThru").Single();
        Assert.Equal(false, first.Properties["HasMemory"].Value);
        Assert.Equal(2, ((IEnumerable<string>)first.Properties["DiskPath"].Value!).Count());
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0xbb 0 64k", _ps.Work("a.qcow2")).ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0x22 0 64k", _ps.Work("b.qcow2")).ExitCode);

        // -WhatIf changes nothing.
        _ps.Ok("Restore-HeadlessVmSnapshot s1 first -WhatIf");
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "read -P 0xbb 0 64k", _ps.Work("a.qcow2")).ExitCode);

        var restored = _ps.Run("Restore-HeadlessVmSnapshot s1 first -Confirm:$false");
        Assert.Empty(restored.Errors);
        Assert.Empty(restored.Warnings);
        foreach (var (disk, pattern) in new[] { ("a.qcow2", "0xaa"), ("b.qcow2", "0x11") })
        {
            var read = NativeTool.Run("qemu-io", "-c", $"read -P {pattern} 0 64k", _ps.Work(disk));
            Assert.True(read.ExitCode == 0 && !read.Output.Contains("Pattern verification failed"), read.Output);
        }

        // A description is kept beside the checkpoint and goes with it; a damaged notes file is a warning, not a loss.
        _ps.Ok("Checkpoint-HeadlessVm s1 second -Description 'before the upgrade'");
        Assert.Equal("before the upgrade", _ps.Ok("(Get-HeadlessVmSnapshot s1 second).Description").Single().ToString());
        var notes = _ps.Paths.ForVm("s1").SnapshotNotesFile;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(notes));
        File.WriteAllText(notes, "{ not json");
        var listed = _ps.Run("Get-HeadlessVmSnapshot s1");
        Assert.Empty(listed.Errors);
        Assert.Equal(new[] { "first", "second" }, listed.Output.Select(s => s.Properties["SnapshotName"].Value));
        Assert.Contains(listed.Warnings, w => w.Contains("damaged", StringComparison.Ordinal));
        // The notes file is still damaged when the third checkpoint is taken: that warns (Ok fails on warnings), and it is rewritten.
        var third = _ps.Run("Checkpoint-HeadlessVm s1 third -Description 'again'; Remove-HeadlessVmSnapshot s1 second,third -Confirm:$false");
        Assert.Empty(third.Errors);
        Assert.All(third.Warnings, w => Assert.Contains("damaged", w, StringComparison.Ordinal));
        Assert.DoesNotContain("again", File.ReadAllText(notes));

        // A default name, then a wildcard listing and removal through the pipeline.
        var named = _ps.Ok("Checkpoint-HeadlessVm s1 -PassThru").Single().Properties["SnapshotName"].Value!.ToString()!;
        Assert.Matches(@"^s1-\d{8}-\d{6}$", named);
        Assert.Equal(new[] { named }, _ps.Ok("Get-HeadlessVmSnapshot s* -SnapshotName 's1-*'").Select(s => s.Properties["SnapshotName"].Value));
        _ps.Ok("Get-HeadlessVmSnapshot s1 | Remove-HeadlessVmSnapshot -Confirm:$false");
        Assert.Empty(_ps.Ok("Get-HeadlessVmSnapshot s1"));
        Assert.DoesNotContain("first", NativeTool.Run("qemu-img", "snapshot", "-l", _ps.Work("b.qcow2")).Output);
    }

    [Fact]
    public void Bad_checkpoints_are_each_their_own_error_with_the_VM_as_target_and_leave_the_disks_as_they_were()
    {
        _ps.Ok("New-HeadlessVmDisk q.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVmDisk q2.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVmDisk r.img -Format raw -SizeGB 0.1 | Out-Null");
        _ps.Ok("New-HeadlessVm q -Accelerator Tcg -MemoryMB 64 -DiskPath q.qcow2,q2.qcow2 -NoStart | Out-Null; New-HeadlessVm bare -Accelerator Tcg -MemoryMB 64 -NoStart | Out-Null; " +
            "New-HeadlessVm raw -Accelerator Tcg -MemoryMB 64 -DiskPath r.img -NoStart | Out-Null");
        _ps.Ok("Checkpoint-HeadlessVm q one");

        void Refused(string script, string id, string target, ErrorCategory category, string? says = null)
        {
            var r = _ps.Run(script);
            var error = Assert.Single(r.Errors);
            Assert.Equal(id, error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(target, error.TargetObject);
            Assert.Equal(category, error.CategoryInfo.Category);
            if (says is not null)
            {
                Assert.Contains(says, error.Exception.Message, StringComparison.Ordinal);
            }
        }

        Refused("Checkpoint-HeadlessVm q one", "SnapshotExists", "q", ErrorCategory.ResourceExists);
        Refused("Checkpoint-HeadlessVm q 123", "InvalidSnapshotName", "q", ErrorCategory.InvalidArgument);
        Refused("Checkpoint-HeadlessVm q '-x'", "InvalidSnapshotName", "q", ErrorCategory.InvalidArgument);
        Refused("Restore-HeadlessVmSnapshot q nosuch -Confirm:$false", "SnapshotNotFound", "q", ErrorCategory.ObjectNotFound);
        Refused("Remove-HeadlessVmSnapshot q nosuch -Confirm:$false", "SnapshotNotFound", "q", ErrorCategory.ObjectNotFound);
        Refused("Get-HeadlessVmSnapshot q nosuch", "SnapshotNotFound", "q", ErrorCategory.ObjectNotFound);
        Refused("Checkpoint-HeadlessVm bare", "NoSnapshotDisk", "bare", ErrorCategory.InvalidOperation);
        Refused("Checkpoint-HeadlessVm raw", "DiskCannotSnapshot", "raw", ErrorCategory.InvalidOperation, _ps.Work("r.img"));
        Assert.Contains("-BackingPath", _ps.Run("Checkpoint-HeadlessVm raw").Errors.Single().Exception.Message, StringComparison.Ordinal);
        Assert.Empty(_ps.Ok("Get-HeadlessVmSnapshot raw"));

        // A disk that lost the checkpoint (replaced since) makes a restore refuse before any disk changes.
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0xcc 0 64k", _ps.Work("q.qcow2")).ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-img", "snapshot", "-d", "one", _ps.Work("q2.qcow2")).ExitCode);
        Refused("Restore-HeadlessVmSnapshot q one -Confirm:$false", "SnapshotIncomplete", "q", ErrorCategory.InvalidOperation, _ps.Work("q2.qcow2"));
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "read -P 0xcc 0 64k", _ps.Work("q.qcow2")).ExitCode);

        // A disk converted to raw in place: the restore names it and says what would work.
        Assert.Equal(0, NativeTool.Run("qemu-img", "convert", "-O", "raw", _ps.Work("q.qcow2"), _ps.Work("q.raw")).ExitCode);
        File.Move(_ps.Work("q.raw"), _ps.Work("q.qcow2"), overwrite: true);
        Refused("Restore-HeadlessVmSnapshot q one -Confirm:$false", "DiskCannotSnapshot", "q", ErrorCategory.InvalidOperation, _ps.Work("q.qcow2"));

        // Nothing was made by the refusals: q2 holds no checkpoint, and -WhatIf makes none either.
        _ps.Ok("Checkpoint-HeadlessVm raw -WhatIf; Checkpoint-HeadlessVm q two -WhatIf");
        Assert.DoesNotContain("two", NativeTool.Run("qemu-img", "snapshot", "-l", _ps.Work("q2.qcow2")).Output);
        Assert.Equal(string.Empty, NativeTool.Run("qemu-img", "snapshot", "-l", _ps.Work("q2.qcow2")).Output.Trim());
    }

    [Fact]
    public void Ctrl_C_during_a_running_VMs_checkpoint_stops_the_waiting_while_qemu_completes_it_whole_and_runs_the_guest_again()
    {
        // 1 GiB of guest memory that is not zeros: the save writes all of it, which takes seconds. Ctrl+C is pressed
        // once the disk has grown by 64 MiB of that memory (the job under way, chosen by what qemu did, not timed).
        var ram = TestGuest.WriteMemoryFile(_ps.Work("c4.ram"), 1024);
        _ps.Ok("New-HeadlessVmDisk c4.qcow2 -SizeGB 0.1 | Out-Null; " +
            $"New-HeadlessVm c4 -Accelerator Tcg -MemoryMB 1024 -Network None -DiskPath c4.qcow2 -ExtraArgument '-mem-path', '{ram}' | Out-Null");
        try
        {
            var disk = new FileInfo(_ps.Work("c4.qcow2"));
            var state = _ps.StopWhen("Checkpoint-HeadlessVm c4 interrupted -Description 'before the upgrade'", _ =>
            {
                disk.Refresh();
                return disk.Length > 64L << 20;
            }, "qemu had written 64 MiB of the guest's memory");
            Assert.Equal(PSInvocationState.Stopped, state);

            // qemu cannot stop a save half way: it finishes it and runs the guest again (Unresponsive meanwhile), never
            // leaving it paused. The checkpoint is then whole, memory and description included, and the only one.
            _ps.Ok("Wait-HeadlessVm c4 -For Running -TimeoutSec 300 | Out-Null");
            var whole = Assert.Single(_ps.Ok("Get-HeadlessVmSnapshot c4"));
            Assert.Equal("interrupted", whole.Properties["SnapshotName"].Value);
            Assert.Equal(true, whole.Properties["HasMemory"].Value);
            Assert.True((long)whole.Properties["VmStateSize"].Value! > 512L << 20);
            Assert.Equal("before the upgrade", whole.Properties["Description"].Value);

            // Its name is taken, as any checkpoint's; the next checkpoint is made, and the interrupted one restores.
            var taken = Assert.Single(_ps.Run("Checkpoint-HeadlessVm c4 interrupted").Errors);
            Assert.Equal("SnapshotExists", taken.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(true, _ps.Ok("Checkpoint-HeadlessVm c4 next -PassThru").Single().Properties["HasMemory"].Value);
            _ps.Ok("Restore-HeadlessVmSnapshot c4 interrupted -Confirm:$false");
            Assert.Equal("Running", _ps.Ok("(Get-HeadlessVm c4).State").Single().ToString());
            Assert.Equal(new[] { "interrupted", "next" }, _ps.Ok("Get-HeadlessVmSnapshot c4").Select(s => s.Properties["SnapshotName"].Value));
        }
        finally
        {
            _ps.Ok("Stop-HeadlessVm c4 -Force");
            File.Delete(ram);
        }
    }
}
