using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Tests;

/// <summary>
/// Set-HeadlessVm and Copy-HeadlessVm on another host (the bed's h1, reached over ssh): the copy's disk is made by h1's
/// libvirtd in h1's storage pool, never through this machine, and the copy boots there.
/// </summary>
[Collection("PowerShell")]
public sealed class LibvirtRemoteCopyTests : IDisposable
{
    private readonly PowerShellSession _ps = new();
    private readonly HostBed _bed;
    private readonly BedDomains _domains;
    private readonly string _folder = "hvm-rc-" + Guid.NewGuid().ToString("N")[..8];
    private string? _pool;

    public LibvirtRemoteCopyTests(LibvirtDaemons daemons)
    {
        _bed = daemons.EnsureBed();
        _domains = new BedDomains(_bed);
        Directory.CreateDirectory(Here);
        File.Copy(TestGuest.Qcow2, Path.Combine(Here, "base.qcow2"));
        _ps.Ok($"Connect-HeadlessVmHost h1 -Uri '{_bed.Uri("h1")}' | Out-Null");
    }

    /// <summary>The test's folder in h1's /var/lib/libvirt/images, as this machine sees it.</summary>
    private string Here => Path.Combine(_bed.Images("h1"), _folder);

    /// <summary>The same folder as h1 names it.</summary>
    private string There => "/var/lib/libvirt/images/" + _folder;

    public void Dispose()
    {
        try
        {
            _domains.Dispose();
            if (_pool is not null)
            {
                Virsh("pool-destroy", _pool);
            }
        }
        finally
        {
            _ps.Dispose();
            Directory.Delete(Here, recursive: true);
        }
    }

    [Fact]
    public void A_VM_on_another_host_is_changed_and_copied_there_by_its_own_libvirtd_and_the_copy_boots_there()
    {
        var source = _domains.Name("h1");
        _ps.Ok($"New-HeadlessVm {source} -ComputerName h1 -MemoryMB 128 -Accelerator Tcg -DiskPath {There}/base.qcow2 -Network None -NoStart | Out-Null");

        var refused = _ps.Refused($"Copy-HeadlessVm {source} {source}-x -ComputerName h1", "DiskNotInStoragePool", source, System.Management.Automation.ErrorCategory.ObjectNotFound);
        Assert.Contains("on h1", refused.Exception.Message, StringComparison.Ordinal);

        _pool = "hvm-rc-pool-" + Guid.NewGuid().ToString("N")[..6];
        Virsh("pool-create-as", _pool, "dir", "--target", There);
        var copy = _domains.Name("h1");
        var vm = (VmInfo)_ps.Ok($"Copy-HeadlessVm {source} {copy} -ComputerName h1 -Linked -PassThru").Single().BaseObject;
        Assert.Equal("h1", vm.ComputerName);
        Assert.Equal(new[] { $"{There}/{copy}-base.qcow2" }, vm.DiskPath);
        Assert.True(File.Exists(Path.Combine(Here, $"{copy}-base.qcow2")), "the overlay is in h1's folder");
        Assert.Contains($"\"backing-filename\": \"{There}/base.qcow2\"",
            NativeTool.Run("qemu-img", "info", "--force-share", "--output=json", Path.Combine(Here, $"{copy}-base.qcow2")).Output, StringComparison.Ordinal);

        var set = (VmInfo)_ps.Ok($"Set-HeadlessVm {copy} -ComputerName h1 -MemoryMB 192 -PassThru").Single().BaseObject;
        Assert.Equal(192, set.MemoryMB);
        Assert.Equal(192UL * 1024, DomainXml.Parse(_domains.Xml("h1", copy)).MemoryKiB);

        _ps.Ok($"Start-HeadlessVm {copy} -ComputerName h1; Wait-HeadlessVm {copy} -ComputerName h1 -ForText '{TestGuest.Ready}' -TimeoutSec 240 | Out-Null");
        _ps.Ok($"Stop-HeadlessVm {copy} -ComputerName h1 -Force");
    }

    private string Virsh(params string[] arguments) =>
        NativeTool.Run("virsh", new[] { "-c", _bed.Uri("h1") }.Concat(arguments).ToArray()) is { ExitCode: 0 } ok
            ? ok.Output
            : throw new Xunit.Sdk.XunitException($"virsh {string.Join(' ', arguments)} on h1 failed");
}
