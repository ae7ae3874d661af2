using System.Management.Automation;
using HeadlessVm.Core;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Tests;

/// <summary>
/// Checkpoints of VMs on this machine's real libvirtd (qemu:///system, QEMU under TCG), through libvirt's snapshot API: a
/// running test guest goes back to where it was (its own tty line buffer proves it), also from a stopped VM, a stopped VM's
/// checkpoints hold its disks only, and every refusal is the store's error id with the VM as target. Images live under
/// /var/lib/libvirt/images; every domain a test defines it undefines (with its snapshot metadata), and its logs go with it.
/// </summary>
[Collection("PowerShell")]
public sealed class LibvirtCheckpointTests : IDisposable
{
    private const string Uri = LibvirtDaemons.LocalUri;

    private readonly LibvirtBed _bed;

    public LibvirtCheckpointTests(LibvirtDaemons daemons) => _bed = new LibvirtBed(daemons, "hvm-cp-");

    private LibvirtConnection Libvirt => _bed.Libvirt;

    private string Images => _bed.Images;

    public void Dispose() => _bed.Dispose();

    private string Name(string role) => _bed.Name(role);

    private string Image(string file) => Path.Combine(Images, file);

    private string[] SnapshotNames(string name) =>
        _bed.Ps.Ok($"Get-HeadlessVmSnapshot {name} -ConnectionUri {Uri}").Select(s => s.Properties["SnapshotName"].Value!.ToString()!).ToArray();

    private void Refused(string script, string id, string target, ErrorCategory category, string? says = null)
    {
        var error = Assert.Single(_bed.Ps.Run(script).Errors);
        Assert.Equal((id, target, category), (error.FullyQualifiedErrorId.Split(',')[0], error.TargetObject as string, error.CategoryInfo.Category));
        if (says is not null)
        {
            Assert.Contains(says, error.Exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_running_libvirt_guest_restored_to_a_checkpoint_resumes_where_it_was_even_from_stopped_and_forgets_what_came_after()
    {
        var name = Name("run");
        _bed.Ps.Ok($"New-HeadlessVmDisk '{Image("data.qcow2")}' -SizeGB 1 | Out-Null");
        _bed.Ps.Ok($"New-HeadlessVm {name} -ConnectionUri {Uri} -MemoryMB 256 -Accelerator Tcg -KernelPath '{Image("vmlinuz")}' -InitrdPath '{Image("initrd.img")}' " +
            $"-KernelArgument '{TestGuest.KernelArguments}' -DiskPath '{Image("data.qcow2")}' -Network None -NoStart | Out-Null");

        // A checkpoint of the stopped VM holds its disk only; libvirt says nothing of sizes.
        var cold = _bed.Ps.Ok($"Checkpoint-HeadlessVm {name} -ConnectionUri {Uri} -SnapshotName cold -PassThru").Single();
        Assert.Equal((false, null), ((bool)cold.Properties["HasMemory"].Value!, cold.Properties["VmStateSize"].Value));
        Assert.Equal(("localhost", Uri), (cold.Properties["ComputerName"].Value, cold.Properties["ConnectionUri"].Value));

        _bed.Ps.Ok($"Start-HeadlessVm {name} -ConnectionUri {Uri}");
        _bed.Ps.Ok($"Wait-HeadlessVm {name} -ConnectionUri {Uri} -ForText '^{TestGuest.Ready}$' -TimeoutSec 240 | Out-Null");

        // "e" is typed but not entered: it waits in the guest kernel's tty line buffer, which is guest memory (one key only:
        // later keys are queued in qemu and could land on either side of the checkpoint).
        _bed.Ps.Ok($"Send-HeadlessVmKey {name} -ConnectionUri {Uri} -Text 'e'");
        var taken = _bed.Ps.Run($"Checkpoint-HeadlessVm {name} -ConnectionUri {Uri} -SnapshotName before -Description 'the e is typed' -PassThru");
        Assert.Empty(taken.Errors);
        var before = taken.Output.Single();
        Assert.Equal((name, "before", "the e is typed", true), ((string)before.Properties["VmName"].Value!, (string)before.Properties["SnapshotName"].Value!,
            (string)before.Properties["Description"].Value!, (bool)before.Properties["HasMemory"].Value!));
        Assert.Equal(new[] { Image("data.qcow2") }, ((IEnumerable<string>)before.Properties["DiskPath"].Value!).ToArray());
        Assert.Contains(taken.Progress, p => p.Activity.Contains("before", StringComparison.Ordinal) && p.RecordType == ProgressRecordType.Completed);
        Assert.Equal("Running", _bed.Ps.Ok($"(Get-HeadlessVm {name} -ConnectionUri {Uri}).State").Single().ToString());

        // The memory is in the qcow2 image itself, beside the disk's snapshot (libvirt's internal snapshot is qemu's savevm).
        var table = NativeTool.Run("qemu-img", "snapshot", "-U", "-l", Image("data.qcow2")).Output;
        Assert.Contains("before", table, StringComparison.Ordinal);
        Assert.Contains("cold", table, StringComparison.Ordinal);

        // After the checkpoint: "late" completes the line.
        _bed.Ps.Ok($"Send-HeadlessVmKey {name} -ConnectionUri {Uri} -Text \"late`n\"");
        _bed.Ps.Ok($"Wait-HeadlessVm {name} -ConnectionUri {Uri} -ForText '^{TestGuest.KeyPrefix}elate$' -TimeoutSec 60 | Out-Null");

        var restore = _bed.Ps.Run($"Restore-HeadlessVmSnapshot {name} before -ConnectionUri {Uri} -Confirm:$false -PassThru");
        Assert.Empty(restore.Errors);
        Assert.Empty(restore.Warnings);
        Assert.Equal("before", restore.Output.Single().Properties["SnapshotName"].Value);
        Assert.Equal("Running", _bed.Ps.Ok($"(Get-HeadlessVm {name} -ConnectionUri {Uri}).State").Single().ToString());

        // The line buffer holds "e" again (the entered line never happened), so the next line is "eagain".
        _bed.Ps.Ok($"Send-HeadlessVmKey {name} -ConnectionUri {Uri} -Text \"again`n\"");
        var again = _bed.Ps.Ok($"Wait-HeadlessVm {name} -ConnectionUri {Uri} -ForText '^{TestGuest.KeyPrefix}' -NewOutputOnly -TimeoutSec 60").Single().ToString();
        Assert.Equal(TestGuest.KeyPrefix + "eagain", again);

        // A disks-only checkpoint cannot be loaded under a running guest: refused before libvirt is asked, and the VM runs on.
        Refused($"Restore-HeadlessVmSnapshot {name} cold -ConnectionUri {Uri} -Confirm:$false", "SnapshotWithoutMemory", name, ErrorCategory.InvalidOperation);
        Assert.Equal("Running", _bed.Ps.Ok($"(Get-HeadlessVm {name} -ConnectionUri {Uri}).State").Single().ToString());
        Assert.Equal(new[] { "cold", "before" }, SnapshotNames(name));

        // Ctrl+C while libvirt writes a checkpoint stops the waiting, not the job: libvirt finishes it whole, and the guest
        // runs on (libvirt cannot abort an internal snapshot, so this is the only clean outcome). The wait is bounded.
        Assert.Equal(PSInvocationState.Stopped, _bed.Ps.StopWhileWaiting($"Checkpoint-HeadlessVm {name} -ConnectionUri {Uri} -SnapshotName mid"));
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while ((Libvirt.FindSnapshot(name, "mid") is null || Libvirt.GetState(name).State != LibvirtDomainState.Running) && DateTime.UtcNow < until)
        {
            Thread.Sleep(200);
        }

        var mid = _bed.Ps.Ok($"Get-HeadlessVmSnapshot {name} mid -ConnectionUri {Uri}").Single();
        Assert.Equal(true, mid.Properties["HasMemory"].Value);
        Assert.Equal("Running", _bed.Ps.Ok($"(Get-HeadlessVm {name} -ConnectionUri {Uri}).State").Single().ToString());
        _bed.Ps.Ok($"Send-HeadlessVmKey {name} -ConnectionUri {Uri} -Text \"on`n\"");
        Assert.Equal(TestGuest.KeyPrefix + "on",
            _bed.Ps.Ok($"Wait-HeadlessVm {name} -ConnectionUri {Uri} -ForText '^{TestGuest.KeyPrefix}' -NewOutputOnly -TimeoutSec 60").Single().ToString());

        // Stopped, the VM goes back to "before" by starting from its memory (libvirt's way), with a warning that it runs.
        _bed.Ps.Ok($"Stop-HeadlessVm {name} -ConnectionUri {Uri} -Force");
        var warm = _bed.Ps.Run($"Restore-HeadlessVmSnapshot {name} before -ConnectionUri {Uri} -Confirm:$false");
        Assert.Empty(warm.Errors);
        Assert.Contains(warm.Warnings, w => w.Contains("now runs where it was", StringComparison.Ordinal));
        Assert.Equal("Running", _bed.Ps.Ok($"(Get-HeadlessVm {name} -ConnectionUri {Uri}).State").Single().ToString());
        _bed.Ps.Ok($"Send-HeadlessVmKey {name} -ConnectionUri {Uri} -Text \"x`n\"");
        Assert.Equal(TestGuest.KeyPrefix + "ex",
            _bed.Ps.Ok($"Wait-HeadlessVm {name} -ConnectionUri {Uri} -ForText '^{TestGuest.KeyPrefix}' -NewOutputOnly -TimeoutSec 60").Single().ToString());

        // Removing from the running VM through the pipeline: libvirt deletes it from the image too.
        _bed.Ps.Ok($"Get-HeadlessVmSnapshot {name} before -ConnectionUri {Uri} | Remove-HeadlessVmSnapshot -Confirm:$false");
        Assert.Equal(new[] { "cold", "mid" }, SnapshotNames(name));
        Assert.DoesNotContain("before", NativeTool.Run("qemu-img", "snapshot", "-U", "-l", Image("data.qcow2")).Output, StringComparison.Ordinal);

        // A VM with a checkpoint left is removed with its snapshot metadata; the disk keeps its snapshot (disks are never touched).
        _bed.Ps.Ok($"Remove-HeadlessVm {name} -ConnectionUri {Uri} -Force");
        Assert.Null(Libvirt.Find(name));
        Assert.Contains("cold", NativeTool.Run("qemu-img", "snapshot", "-l", Image("data.qcow2")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stopped_libvirt_VMs_disk_goes_back_to_its_bytes_and_refusals_are_the_stores_errors_with_the_VM_as_target()
    {
        var q = Name("q");
        var bare = Name("bare");
        var raw = Name("raw");
        _bed.Ps.Ok($"New-HeadlessVmDisk '{Image("q.qcow2")}' -SizeGB 0.1 | Out-Null; New-HeadlessVmDisk '{Image("r.img")}' -Format raw -SizeGB 0.1 | Out-Null");
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0xaa 0 64k", Image("q.qcow2")).ExitCode);
        _bed.Ps.Ok($"New-HeadlessVm {q} -ConnectionUri {Uri} -MemoryMB 64 -Accelerator Tcg -DiskPath '{Image("q.qcow2")}' -NoStart | Out-Null; " +
            $"New-HeadlessVm {bare} -ConnectionUri {Uri} -MemoryMB 64 -Accelerator Tcg -NoStart | Out-Null; " +
            $"New-HeadlessVm {raw} -ConnectionUri {Uri} -MemoryMB 64 -Accelerator Tcg -DiskPath '{Image("r.img")}' -NoStart | Out-Null");

        var one = _bed.Ps.Ok($"Checkpoint-HeadlessVm {q} one -ConnectionUri {Uri} -PassThru").Single();
        Assert.Equal(false, one.Properties["HasMemory"].Value);
        Assert.Equal(new[] { Image("q.qcow2") }, ((IEnumerable<string>)one.Properties["DiskPath"].Value!).ToArray());
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0xbb 0 64k", Image("q.qcow2")).ExitCode);

        // -WhatIf changes nothing; the restore gives the disk its bytes back and leaves the VM stopped.
        _bed.Ps.Ok($"Restore-HeadlessVmSnapshot {q} one -ConnectionUri {Uri} -WhatIf");
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "read -P 0xbb 0 64k", Image("q.qcow2")).ExitCode);
        var restored = _bed.Ps.Run($"Restore-HeadlessVmSnapshot {q} one -ConnectionUri {Uri} -Confirm:$false");
        Assert.Empty(restored.Errors);
        Assert.Empty(restored.Warnings);
        var read = NativeTool.Run("qemu-io", "-c", "read -P 0xaa 0 64k", Image("q.qcow2"));
        Assert.True(read.ExitCode == 0 && !read.Output.Contains("Pattern verification failed", StringComparison.Ordinal), read.Output);
        Assert.Equal("Stopped", _bed.Ps.Ok($"(Get-HeadlessVm {q} -ConnectionUri {Uri}).State").Single().ToString());

        // A default name, a description, and the listing through a wildcard.
        var named = _bed.Ps.Ok($"Checkpoint-HeadlessVm {q} -ConnectionUri {Uri} -Description 'before the upgrade' -PassThru").Single();
        Assert.Matches($@"^{q}-\d{{8}}-\d{{6}}$", named.Properties["SnapshotName"].Value!.ToString()!);
        Assert.Equal("before the upgrade", named.Properties["Description"].Value);
        Assert.Equal(new[] { "one", named.Properties["SnapshotName"].Value!.ToString() },
            _bed.Ps.Ok($"Get-HeadlessVmSnapshot {q} -ConnectionUri {Uri}").Select(s => s.Properties["SnapshotName"].Value!.ToString()));

        // -SnapshotName completes with the VM's checkpoints on the host the command line names.
        var input = $"Restore-HeadlessVmSnapshot -ConnectionUri {Uri} -Name {q} -SnapshotName o";
        Assert.Equal(new[] { "one" }, _bed.Ps.Ok($"(TabExpansion2 -inputScript '{input}' -cursorColumn {input.Length}).CompletionMatches.CompletionText").Select(o => o.ToString()));

        Refused($"Checkpoint-HeadlessVm {q} one -ConnectionUri {Uri}", "SnapshotExists", q, ErrorCategory.ResourceExists);
        Refused($"Checkpoint-HeadlessVm {q} 123 -ConnectionUri {Uri}", "InvalidSnapshotName", q, ErrorCategory.InvalidArgument);
        Refused($"Restore-HeadlessVmSnapshot {q} nosuch -ConnectionUri {Uri} -Confirm:$false", "SnapshotNotFound", q, ErrorCategory.ObjectNotFound);
        Refused($"Remove-HeadlessVmSnapshot {q} nosuch -ConnectionUri {Uri} -Confirm:$false", "SnapshotNotFound", q, ErrorCategory.ObjectNotFound);
        Refused($"Get-HeadlessVmSnapshot {q} nosuch -ConnectionUri {Uri}", "SnapshotNotFound", q, ErrorCategory.ObjectNotFound);
        Refused($"Checkpoint-HeadlessVm {bare} -ConnectionUri {Uri}", "NoSnapshotDisk", bare, ErrorCategory.InvalidOperation);
        Refused($"Checkpoint-HeadlessVm {raw} -ConnectionUri {Uri}", "DiskCannotSnapshot", raw, ErrorCategory.InvalidOperation, Image("r.img"));
        Refused($"Checkpoint-HeadlessVm hvm-cp-absent -ConnectionUri {Uri}", "VmNotFound", "hvm-cp-absent", ErrorCategory.ObjectNotFound);
        Assert.Empty(_bed.Ps.Ok($"Get-HeadlessVmSnapshot {raw} -ConnectionUri {Uri}"));

        // Where libvirt itself refuses (a race with another client), its own message comes with the same ids.
        HeadlessVmException RefusedByLibvirt(Action call) => Assert.IsAssignableFrom<HeadlessVmException>(Record.Exception(call));
        var exists = RefusedByLibvirt(() => Libvirt.CreateSnapshot(q, DomainSnapshotXml.Request("one", null)));
        Assert.Equal((ErrorIds.SnapshotExists, q), (exists.ErrorId, exists.Target));
        Assert.Contains("already exists", exists.Message, StringComparison.Ordinal);
        var missing = RefusedByLibvirt(() => Libvirt.DeleteSnapshot(q, "nosuch"));
        Assert.Equal((ErrorIds.SnapshotNotFound, q), (missing.ErrorId, missing.Target));
        Assert.Contains("nosuch", missing.Message, StringComparison.Ordinal);
        var rawDisk = RefusedByLibvirt(() => Libvirt.CreateSnapshot(raw, DomainSnapshotXml.Request("r1", null)));
        Assert.Equal((ErrorIds.DiskCannotSnapshot, raw), (rawDisk.ErrorId, rawDisk.Target));
        Assert.Contains("unsupported for storage type raw", rawDisk.Message, StringComparison.Ordinal);

        // Nothing was made by the refusals.
        Assert.Empty(Libvirt.ListSnapshots(raw));
        Assert.Empty(Libvirt.ListSnapshots(bare));
        Assert.Equal(2, Libvirt.ListSnapshots(q).Count);

        // A VM with checkpoints is removed (libvirt needs its snapshot metadata undefined with it).
        _bed.Ps.Ok($"Get-HeadlessVmSnapshot {q} one -ConnectionUri {Uri} | Remove-HeadlessVmSnapshot -Confirm:$false");
        Assert.DoesNotContain("one", NativeTool.Run("qemu-img", "snapshot", "-l", Image("q.qcow2")).Output, StringComparison.Ordinal);
        _bed.Ps.Ok($"Remove-HeadlessVm {q} -ConnectionUri {Uri}");
        Assert.Null(Libvirt.Find(q));
    }
}
