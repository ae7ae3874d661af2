using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>
/// A disk image one running VM of the store holds, as its disk or as a backing file under its disk, is refused to every
/// other VM's start, checkpoint and copy that would clash with qemu's image lock, naming the running VM (DiskInUse),
/// rather than left to qemu's own "Failed to get shared 'write' lock", which names none. Real qemu and qemu-img.
/// </summary>
[Collection("PowerShell")]
public sealed class DiskHolderTests : IDisposable
{
    private const string Small = "-MemoryMB 64 -Network None -Accelerator Tcg";
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void A_linked_copy_and_its_template_cannot_run_at_once_and_each_refusal_names_the_running_one()
    {
        _ps.Ok($"New-HeadlessVmDisk ./tpl.qcow2 -SizeGB 1 | Out-Null; New-HeadlessVm tpl {Small} -DiskPath ./tpl.qcow2 -NoStart | Out-Null");
        _ps.Ok("Copy-HeadlessVm tpl tl1 -Linked | Out-Null");

        // The template runs and writes its disk: the overlay's start would read it as its backing file.
        _ps.Ok("Start-HeadlessVm tpl -Paused | Out-Null");
        var overlay = _ps.Refused("Start-HeadlessVm tl1", "DiskInUse", "tl1", ErrorCategory.ResourceBusy).Exception.Message;
        Assert.Contains($"is backed by '{_ps.Work("tpl.qcow2")}', which VM 'tpl' is running on", overlay, StringComparison.Ordinal);
        Assert.Equal("Stopped", _ps.Ok("(Get-HeadlessVm tl1).State.ToString()").Single().BaseObject);

        // The overlay runs and reads the template's disk: the template's start would write it.
        _ps.Ok("Stop-HeadlessVm tpl -Force | Out-Null; Start-HeadlessVm tl1 -Paused | Out-Null");
        var template = _ps.Refused("Start-HeadlessVm tpl", "DiskInUse", "tpl", ErrorCategory.ResourceBusy).Exception.Message;
        Assert.Contains($"its disk '{_ps.Work("tpl.qcow2")}' is the backing file of", template, StringComparison.Ordinal);
        Assert.Contains("VM 'tl1'", template, StringComparison.Ordinal);

        // So would a checkpoint of the stopped template (qemu-img writes the image) ...
        _ps.Refused("Checkpoint-HeadlessVm tpl cp", "DiskInUse", "tpl", ErrorCategory.ResourceBusy);
        Assert.Empty(_ps.Ok("Get-HeadlessVmSnapshot tpl"));

        // ... but a full copy only reads it, as the overlay does: readers share.
        _ps.Ok("Copy-HeadlessVm tpl tpl2 | Out-Null");
        Assert.True(File.Exists(_ps.Work("tpl2-tpl.qcow2")));
    }

    [Fact]
    public void A_stopped_VM_whose_disk_a_running_VM_writes_gets_no_checkpoint_restore_removal_or_copy_and_the_refusal_names_it()
    {
        _ps.Ok($"New-HeadlessVmDisk ./shared.qcow2 -SizeGB 1 | Out-Null; New-HeadlessVm a2 {Small} -DiskPath ./shared.qcow2 -NoStart | Out-Null");
        _ps.Ok($"New-HeadlessVm a2-c {Small} -DiskPath ./shared.qcow2 -NoStart -WarningAction SilentlyContinue | Out-Null");
        _ps.Ok("Checkpoint-HeadlessVm a2-c before | Out-Null");
        _ps.Ok("Start-HeadlessVm a2 -Paused | Out-Null");

        foreach (var script in new[]
        {
            "Checkpoint-HeadlessVm a2-c sharedtest",
            "Restore-HeadlessVmSnapshot a2-c before -Confirm:$false",
            "Remove-HeadlessVmSnapshot a2-c before -Confirm:$false",
            "Copy-HeadlessVm a2-c a2-d",
        })
        {
            var message = _ps.Refused(script, "DiskInUse", "a2-c", ErrorCategory.ResourceBusy).Exception.Message;
            Assert.Contains($"its disk '{_ps.Work("shared.qcow2")}' is in use by VM 'a2', which is running", message, StringComparison.Ordinal);
        }

        Assert.Equal(new object[] { "before" }, _ps.Ok("(Get-HeadlessVmSnapshot a2-c).SnapshotName").Select(o => o.BaseObject));
        Assert.Empty(_ps.Ok("Get-HeadlessVm a2-d -ErrorAction Ignore"));
        Assert.False(File.Exists(_ps.Work("a2-d-shared.qcow2")));

        // Stopped, the holder no longer stands in the way.
        _ps.Ok("Stop-HeadlessVm a2 -Force | Out-Null; Checkpoint-HeadlessVm a2-c sharedtest | Out-Null");
    }
}
