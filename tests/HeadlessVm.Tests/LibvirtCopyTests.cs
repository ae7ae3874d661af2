using System.Management.Automation;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Tests;

/// <summary>
/// Copy-HeadlessVm on this machine's real libvirtd (qemu:///system), through libvirt's storage API: a full copy boots the
/// test guest from a disk of its own (a write to one is not in the other) with a new UUID, MAC address and VNC password; a
/// linked copy boots from a qcow2 overlay whose backing file is the source's disk, left byte for byte as it was; disks
/// outside a storage pool, taken names and a running source are refused before anything is made, and a copy that fails
/// half way leaves no volume and no domain.
/// </summary>
[Collection("PowerShell")]
public sealed class LibvirtCopyTests : IDisposable
{
    private const string Uri = LibvirtDaemons.LocalUri;
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(240);

    private readonly LibvirtBed _bed;
    private PowerShellSession Ps => _bed.Ps;

    public LibvirtCopyTests(LibvirtDaemons daemons) => _bed = new LibvirtBed(daemons, "hvm-lc-");

    public void Dispose() => _bed.Dispose();

    private string Image(string file) => Path.Combine(_bed.Images, file);

    [Fact]
    public void A_full_copy_boots_from_disks_of_its_own_and_a_source_outside_a_pool_taken_names_or_a_running_source_are_refused_first()
    {
        File.Copy(TestGuest.Qcow2, Image("base.qcow2"));
        Assert.Equal(0, NativeTool.Run("qemu-img", "create", "-f", "raw", Image("data.img"), "1M").ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-f", "raw", "-c", "write -P 0x5c 0 64k", Image("data.img")).ExitCode);
        var source = _bed.Name();
        Ps.Ok($"New-HeadlessVm {source} -ConnectionUri {Uri} -MemoryMB 256 -Accelerator Tcg -DiskPath '{Image("base.qcow2")}','{Image("data.img")}' -NoStart | Out-Null");
        var sourceXml = _bed.Libvirt.GetXml(source, secure: true, inactive: true);

        // No pool holds the folder yet: refused, naming the disk and the remedy, and nothing is made.
        var copy = _bed.Name();
        var outside = Ps.Refused($"Copy-HeadlessVm {source} {copy} -ConnectionUri {Uri}", "DiskNotInStoragePool", source, ErrorCategory.ObjectNotFound);
        Assert.Contains(Image("base.qcow2"), outside.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("pool-define-as", outside.Exception.Message, StringComparison.Ordinal);
        Assert.Null(_bed.Libvirt.Find(copy));
        Assert.Empty(Directory.GetFiles(_bed.Images, copy + "*"));

        _bed.Pool(_bed.Images);
        var copied = Ps.Run($"Copy-HeadlessVm {source} {copy} -ConnectionUri {Uri} -PassThru");
        Assert.Empty(copied.Errors);
        Assert.Contains(copied.Progress, p => p.Activity == $"Copying disk 'base.qcow2' of VM '{source}'" && p.RecordType == ProgressRecordType.Completed);
        var vm = (VmInfo)Assert.Single(copied.Output).BaseObject;
        Assert.Equal((copy, VmState.Stopped, ManagedBy.HeadlessVm), (vm.Name, vm.State, vm.ManagedBy));
        Assert.Equal(new[] { Image($"{copy}-base.qcow2"), Image($"{copy}-data.img") }, vm.DiskPath);
        Assert.Equal(new[] { "qcow2", "raw" }, vm.DiskFormat);
        var from = DomainXml.Parse(sourceXml, dumpedSecure: true);
        var to = DomainXml.Parse(_bed.Libvirt.GetXml(copy, secure: true, inactive: true), dumpedSecure: true);
        Assert.NotEqual(from.Uuid, to.Uuid);
        Assert.NotEqual(from.Interfaces.Single().MacAddress, to.Interfaces.Single().MacAddress);
        Assert.NotEqual(from.Vnc!.Password, to.Vnc!.Password);
        Assert.True(to.Vnc.AutoPort);
        Assert.Equal($"/var/log/libvirt/qemu/{copy}-serial.log", DomainVms.SerialLogFile(to));
        Assert.Equal(sourceXml, _bed.Libvirt.GetXml(source, secure: true, inactive: true));
        Assert.Null(Backing(Image($"{copy}-base.qcow2")));

        // Taken names: the domain's, and a file the copy would make; the file stays as it was and nothing else is made.
        Ps.Refused($"Copy-HeadlessVm {source} {copy} -ConnectionUri {Uri}", "VmAlreadyExists", copy, ErrorCategory.ResourceExists);
        var second = _bed.Name();
        File.WriteAllText(Image($"{second}-data.img"), "mine");
        var exists = Ps.Refused($"Copy-HeadlessVm {source} {second} -ConnectionUri {Uri}", "CopyDiskExists", source, ErrorCategory.ResourceExists);
        Assert.Contains(Image($"{second}-data.img"), exists.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Image($"{second}-data.img")));
        Assert.False(File.Exists(Image($"{second}-base.qcow2")));
        Assert.Null(_bed.Libvirt.Find(second));

        // The copy boots the guest from its own disk.
        Ps.Ok($"Start-HeadlessVm {copy} -ConnectionUri {Uri}; Wait-HeadlessVm {copy} -ConnectionUri {Uri} -ForText '{TestGuest.Ready}' -TimeoutSec {Boot.TotalSeconds} | Out-Null");
        Ps.Ok($"Stop-HeadlessVm {copy} -ConnectionUri {Uri} -Force");

        // Its disks are its own: what is written in the copy is not in the source.
        Assert.Equal(0, NativeTool.Run("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 64k", Image($"{copy}-data.img")).ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-f", "raw", "-c", "read -P 0x11 0 64k", Image($"{copy}-data.img")).ExitCode);
        Assert.Equal(0, NativeTool.Run("qemu-io", "-f", "raw", "-c", "read -P 0x5c 0 64k", Image("data.img")).ExitCode);

        // A running source is copied from a checkpoint only, which libvirt hosts do not have here yet.
        Ps.Ok($"Start-HeadlessVm {source} -ConnectionUri {Uri} -Paused");
        var third = _bed.Name();
        Ps.Refused($"Copy-HeadlessVm {source} {third} -ConnectionUri {Uri}", "VmMustBeStopped", source, ErrorCategory.InvalidOperation);
        Ps.Refused($"Copy-HeadlessVm {source} {third} -ConnectionUri {Uri} -SnapshotName base", "NotSupportedOnHost", "localhost", ErrorCategory.NotImplemented);
        Ps.Ok($"Stop-HeadlessVm {source} -ConnectionUri {Uri} -Force");
        Assert.Null(_bed.Libvirt.Find(third));
        Assert.Empty(Directory.GetFiles(_bed.Images, third + "*"));
    }

    [Fact]
    public void A_linked_copy_boots_from_an_overlay_on_the_sources_disk_which_stays_as_it_was()
    {
        File.Copy(TestGuest.Qcow2, Image("base.qcow2"));
        _bed.Pool(_bed.Images);
        var source = _bed.Name();
        Ps.Ok($"New-HeadlessVm {source} -ConnectionUri {Uri} -MemoryMB 256 -Accelerator Tcg -DiskPath '{Image("base.qcow2")}' -Network None -NoStart | Out-Null");
        var before = Hash(Image("base.qcow2"));

        var copy = _bed.Name();
        var vm = (VmInfo)Ps.Ok($"Copy-HeadlessVm {source} {copy} -ConnectionUri {Uri} -Linked -PassThru").Single().BaseObject;
        var overlay = Image($"{copy}-base.qcow2");
        Assert.Equal(new[] { overlay }, vm.DiskPath);
        Assert.Equal(Image("base.qcow2"), Backing(overlay));

        Ps.Ok($"Start-HeadlessVm {copy} -ConnectionUri {Uri}; Wait-HeadlessVm {copy} -ConnectionUri {Uri} -ForText '{TestGuest.Ready}' -TimeoutSec {Boot.TotalSeconds} | Out-Null");
        Ps.Ok($"Stop-HeadlessVm {copy} -ConnectionUri {Uri} -Force");
        Assert.Equal(before, Hash(Image("base.qcow2")));
    }

    [Fact]
    public void A_copy_that_fails_half_way_leaves_no_volume_and_no_domain()
    {
        // The second disk is a folder, which libvirt lists as a volume of its pool but cannot copy (qemu-img has no driver
        // for it): the first disk is copied, the second fails, and the first copy is deleted again.
        File.Copy(TestGuest.Qcow2, Image("base.qcow2"));
        Directory.CreateDirectory(Image("folder.qcow2"));
        _bed.Pool(_bed.Images);
        var source = _bed.Name();
        Ps.Ok($"New-HeadlessVm {source} -ConnectionUri {Uri} -MemoryMB 64 -Accelerator Tcg -DiskPath '{Image("base.qcow2")}','{Image("folder.qcow2")}' -NoStart | Out-Null");

        var copy = _bed.Name();
        var failed = Assert.Single(Ps.Run($"Copy-HeadlessVm {source} {copy} -ConnectionUri {Uri}").Errors);
        Assert.Equal(source, failed.TargetObject);
        Assert.Contains(Image("folder.qcow2"), failed.Exception.Message, StringComparison.Ordinal);
        Assert.Null(_bed.Libvirt.Find(copy));
        Assert.Empty(Directory.GetFileSystemEntries(_bed.Images, copy + "*"));
        Assert.DoesNotContain(copy, LibvirtBed.Virsh("vol-list", "--pool", _bed.PoolOf(_bed.Images)), StringComparison.Ordinal);
    }

    /// <summary>The image's backing file as qemu-img reads it, or null.</summary>
    private static string? Backing(string image)
    {
        var info = NativeTool.Run("qemu-img", "info", "--force-share", "--output=json", image);
        Assert.Equal(0, info.ExitCode);
        return JsonNode.Parse(info.Output)!["backing-filename"]?.GetValue<string>();
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
}
