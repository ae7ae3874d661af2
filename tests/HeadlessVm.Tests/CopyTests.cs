using System.Management.Automation;
using System.Security.Cryptography;

namespace HeadlessVm.Tests;

/// <summary>
/// Copy-HeadlessVm on real qemu-img and qemu: full copies hold the source's bytes and are their own, linked copies boot
/// the test guest from overlays while the source's image stays byte for byte the same, a running source is copied from
/// a checkpoint, and a copy that fails leaves no disk, no temporary file and no record.
/// </summary>
[Collection("PowerShell")]
public sealed class CopyTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void A_full_copy_has_the_sources_bytes_in_disks_of_its_own_and_a_new_MAC_and_display()
    {
        _ps.Ok("New-HeadlessVmDisk a.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVmDisk b.img -Format raw -SizeGB 0.01 | Out-Null");
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0xaa 0 64k", _ps.Work("a.qcow2")).ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-f", "raw", "-c", "write -P 0x5c 0 64k", _ps.Work("b.img")).ExitCode);
        var forwarded = FreePorts.Next();
        var source = _ps.Ok($"New-HeadlessVm s1 -Accelerator Tcg -MemoryMB 64 -DiskPath a.qcow2,b.img -PortForward '{forwarded}:22' -NoStart").Single();

        var copied = _ps.Run("Copy-HeadlessVm s1 c1 -PassThru");
        Assert.Empty(copied.Errors);
        Assert.Contains(copied.Warnings, w => w.Contains(forwarded.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Contains(copied.Progress, p => p.Activity == "Copying disk 'a.qcow2' of VM 's1'" && p.RecordType == ProgressRecordType.Completed);
        var copy = copied.Output.Single();
        Assert.Equal("c1", copy.Properties["Name"].Value);
        Assert.Equal("Stopped", copy.Properties["State"].Value!.ToString());
        Assert.Equal(new[] { _ps.Work("c1-a.qcow2"), _ps.Work("c1-b.img") }, (IEnumerable<string>)copy.Properties["DiskPath"].Value!);
        Assert.Equal(new[] { "qcow2", "raw" }, (IEnumerable<string>)copy.Properties["DiskFormat"].Value!);
        Assert.NotEqual(source.Properties["MacAddress"].Value, copy.Properties["MacAddress"].Value);
        Assert.NotEqual(source.Properties["VncDisplay"].Value, copy.Properties["VncDisplay"].Value);
        Assert.Null(_ps.Ok("(Get-HeadlessVmDisk c1-a.qcow2).BackingPath").SingleOrDefault()?.BaseObject);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "read -P 0xaa 0 64k", _ps.Work("c1-a.qcow2")).ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-f", "raw", "-c", "read -P 0x5c 0 64k", _ps.Work("c1-b.img")).ExitCode);

        // The copy's disks are its own: writing them leaves the source's as they were.
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0x01 0 64k", _ps.Work("c1-a.qcow2")).ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "read -P 0xaa 0 64k", _ps.Work("a.qcow2")).ExitCode);
        Assert.Empty(Directory.GetFiles(_ps.WorkFolder, "*.partial*"));
    }

    [Fact]
    public void A_linked_copy_boots_the_guest_from_overlays_and_leaves_the_sources_image_untouched()
    {
        File.Copy(TestGuest.Qcow2, _ps.Work("base.qcow2"));
        var vars = new Dictionary<string, object?> { ["base"] = _ps.Work("base.qcow2") };
        _ps.Run("New-HeadlessVm base -Accelerator Tcg -MemoryMB 256 -DiskPath $base -Network None -NoStart | Out-Null", vars);
        var before = Hash(_ps.Work("base.qcow2"));

        var copy = _ps.Ok("Copy-HeadlessVm base lc -Linked -PassThru").Single();
        var overlay = _ps.Work("lc-base.qcow2");
        Assert.Equal(new[] { overlay }, (IEnumerable<string>)copy.Properties["DiskPath"].Value!);
        Assert.Equal(_ps.Work("base.qcow2"), _ps.Ok("(Get-HeadlessVmDisk lc-base.qcow2).BackingPath").Single().ToString());

        // A display free now: the one picked at the copy could be taken by another program before the start.
        _ps.Ok($"Set-HeadlessVm lc -VncDisplay {_ps.FreeVncDisplay()}; Start-HeadlessVm lc");
        _ps.Ok($"Wait-HeadlessVm lc -ForText '^{TestGuest.Ready}$' -TimeoutSec 180 | Out-Null");
        _ps.Ok("Stop-HeadlessVm lc -Force");
        Assert.Equal(before, Hash(_ps.Work("base.qcow2")));
    }

    [Fact]
    public void A_running_VM_is_copied_from_a_checkpoint_only()
    {
        _ps.Ok("New-HeadlessVmDisk r.qcow2 -SizeGB 0.1 | Out-Null");
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "write -P 0x7e 0 64k", _ps.Work("r.qcow2")).ExitCode);
        _ps.Ok("New-HeadlessVm r1 -Accelerator Tcg -MemoryMB 64 -DiskPath r.qcow2 -Network None -Paused | Out-Null");

        _ps.Refused("Copy-HeadlessVm r1 rc", "VmMustBeStopped", "r1", ErrorCategory.InvalidOperation);
        _ps.Refused("Copy-HeadlessVm r1 rc -Linked", "VmMustBeStopped", "r1", ErrorCategory.InvalidOperation);
        _ps.Refused("Copy-HeadlessVm r1 rc -SnapshotName nosuch", "SnapshotNotFound", "r1", ErrorCategory.ObjectNotFound);

        _ps.Ok("Checkpoint-HeadlessVm r1 base");
        var copy = _ps.Ok("Copy-HeadlessVm r1 rc -SnapshotName base -PassThru").Single();
        Assert.Equal("Stopped", copy.Properties["State"].Value!.ToString());
        Assert.Equal(0, NativeTool.Run("qemu-io", "-c", "read -P 0x7e 0 64k", _ps.Work("rc-r.qcow2")).ExitCode);
        // The copy is the disk as it was, without the source's checkpoints.
        Assert.Empty(_ps.Ok("Get-HeadlessVmSnapshot rc"));
        Assert.Equal("Paused", _ps.Ok("(Get-HeadlessVm r1).State").Single().ToString());
        _ps.Ok("Stop-HeadlessVm r1 -Force");
    }

    [Fact]
    public void A_copy_onto_a_name_or_disk_that_exists_or_that_fails_half_way_leaves_nothing_behind()
    {
        _ps.Ok("New-HeadlessVmDisk a.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVmDisk b.qcow2 -SizeGB 0.1 | Out-Null");
        _ps.Ok("New-HeadlessVm s1 -Accelerator Tcg -MemoryMB 64 -DiskPath a.qcow2,b.qcow2 -NoStart | Out-Null; New-HeadlessVm taken -Accelerator Tcg -MemoryMB 64 -NoStart | Out-Null");

        _ps.Refused("Copy-HeadlessVm s1 taken", "VmAlreadyExists", "taken", ErrorCategory.ResourceExists);
        _ps.Refused("Copy-HeadlessVm s1 'bad/name'", "InvalidVmName", "bad/name", ErrorCategory.InvalidArgument);
        File.WriteAllText(_ps.Work("c2-b.qcow2"), "mine");
        var exists = _ps.Refused("Copy-HeadlessVm s1 c2", "CopyDiskExists", "s1", ErrorCategory.ResourceExists);
        Assert.Contains(_ps.Work("c2-b.qcow2"), exists.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(_ps.Work("c2-b.qcow2")));
        Assert.False(File.Exists(_ps.Work("c2-a.qcow2")));

        // The second disk is no longer qcow2 inside (overwritten since): qemu-img refuses it, the first disk's copy goes
        // again, and no record stays.
        File.WriteAllBytes(_ps.Work("b.qcow2"), new byte[1024 * 1024]);
        var failed = _ps.Refused("Copy-HeadlessVm s1 c3", "QemuImgConvertFailed", "s1", ErrorCategory.InvalidOperation);
        Assert.Contains(_ps.Work("b.qcow2"), failed.Exception.Message, StringComparison.Ordinal);

        Assert.Equal(new[] { "s1", "taken" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => o.ToString()));
        Assert.Empty(Directory.GetFiles(_ps.WorkFolder, "c3-*"));
        Assert.Empty(Directory.GetFiles(_ps.WorkFolder, "*.partial*"));
        _ps.Refused("Copy-HeadlessVm test c4 -ConnectionUri test:///default", "VmIsExternal", "test", ErrorCategory.InvalidOperation);
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
}
