using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>New-HeadlessVmDisk and Get-HeadlessVmDisk over the real qemu-img.</summary>
[Collection("PowerShell")]
public sealed class DiskTests : IDisposable
{
    private const long GiB = 1024L * 1024 * 1024;
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Theory]
    [InlineData("a.qcow2", "", "qcow2")]
    [InlineData("b.img", "", "raw")]
    [InlineData("c.vhd", "", "vpc")]
    [InlineData("d.vhdx", "", "vhdx")]
    [InlineData("e.bin", "", "qcow2")]
    [InlineData("f.disk", "-Format raw", "raw")]
    public void New_HeadlessVmDisk_creates_an_image_of_the_format_the_extension_or_Format_names(string file, string format, string expected)
    {
        var disk = _ps.Ok($"New-HeadlessVmDisk {file} -SizeGB 1 {format}").Single();
        Assert.Equal(_ps.Work(file), disk.Properties["Path"].Value);
        Assert.Equal(expected, disk.Properties["Format"].Value);
        // vpc rounds sizes to its disk geometry.
        Assert.InRange((long)disk.Properties["VirtualSize"].Value, GiB - 16 * 1024 * 1024, GiB + 16 * 1024 * 1024);
        Assert.True(File.Exists(_ps.Work(file)));
    }

    [Fact]
    public void Get_HeadlessVmDisk_reports_format_sizes_and_flags_and_takes_files_from_Get_ChildItem()
    {
        _ps.Ok("New-HeadlessVmDisk one.qcow2 -SizeGB 2 | Out-Null; New-HeadlessVmDisk two.qcow2 -SizeGB 0.5 | Out-Null; New-HeadlessVmDisk three.img -SizeGB 1 | Out-Null");
        var disks = _ps.Ok("Get-ChildItem *.qcow2 | Get-HeadlessVmDisk | Sort-Object VirtualSize");
        Assert.Equal(new[] { _ps.Work("two.qcow2"), _ps.Work("one.qcow2") }, disks.Select(d => d.Properties["Path"].Value));
        Assert.Equal(GiB / 2, disks[0].Properties["VirtualSize"].Value);
        Assert.Equal(2 * GiB, disks[1].Properties["VirtualSize"].Value);
        Assert.True((long)disks[1].Properties["ActualSize"].Value! < 10 * 1024 * 1024);
        Assert.Equal(false, disks[1].Properties["Dirty"].Value);
        Assert.Equal(false, disks[1].Properties["Corrupt"].Value);
        Assert.Equal(65536L, disks[1].Properties["ClusterSize"].Value);
        Assert.Null(disks[1].Properties["BackingPath"].Value);

        Assert.Equal(3, _ps.Ok("Get-HeadlessVmDisk *").Count);
        Assert.Equal("raw", _ps.Ok("Get-HeadlessVmDisk -LiteralPath three.img").Single().Properties["Format"].Value);
        Assert.Equal("HeadlessVm.Core.Model.VmDisk", _ps.Ok("Get-HeadlessVmDisk one.qcow2").Single().TypeNames[0]);
        var table = string.Join("\n", _ps.Ok("Get-HeadlessVmDisk one.qcow2 | Format-Table | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Contains("SizeGB", table);
        Assert.Contains("one.qcow2", table);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.0000000001")]
    public void A_size_of_nothing_without_a_backing_file_is_InvalidDiskSize_and_makes_no_file(string size)
    {
        var error = Assert.Single(_ps.Run($"New-HeadlessVmDisk zero.qcow2 -SizeGB {size}").Errors);
        Assert.Equal("InvalidDiskSize", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(_ps.Work("zero.qcow2"), error.TargetObject);
        Assert.Contains("more than 0", error.Exception.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_ps.Work("zero.qcow2")));
    }

    [Fact]
    public void A_backing_file_takes_its_format_from_its_content_as_a_VMs_disk_does()
    {
        // Text named .qcow2 is no image: refused as New-HeadlessVm -DiskPath refuses it, and no clone is made.
        File.WriteAllText(_ps.Work("junk.qcow2"), "hello");
        var r = _ps.Run("New-HeadlessVmDisk clone.qcow2 -BackingPath junk.qcow2");
        var error = Assert.Single(r.Errors);
        Assert.Equal("DiskFormatUnknown", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(_ps.Work("junk.qcow2"), error.TargetObject);
        Assert.Contains(".img or .raw", error.Exception.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_ps.Work("clone.qcow2")));

        // A qcow2 image named .img, as distributions ship cloud images: used as qcow2, with a warning.
        _ps.Ok("New-HeadlessVmDisk base.qcow2 -SizeGB 1 | Out-Null");
        File.Move(_ps.Work("base.qcow2"), _ps.Work("cloud.img"));
        r = _ps.Run("New-HeadlessVmDisk clone.qcow2 -BackingPath cloud.img");
        Assert.Empty(r.Errors);
        Assert.Equal("qcow2", r.Output.Single().Properties["BackingFormat"].Value);
        Assert.Contains(r.Warnings, w => w.Contains("holds a qcow2 image, though its name says raw", StringComparison.Ordinal));
    }

    [Fact]
    public void A_linked_clone_records_its_backing_image_and_leaves_it_unchanged()
    {
        _ps.Ok("New-HeadlessVmDisk base.qcow2 -SizeGB 1 | Out-Null");
        var baseBytes = File.ReadAllBytes(_ps.Work("base.qcow2"));
        var clone = _ps.Ok("New-HeadlessVmDisk clone.qcow2 -BackingPath base.qcow2").Single();
        Assert.Equal(_ps.Work("base.qcow2"), clone.Properties["BackingPath"].Value);
        Assert.Equal("qcow2", clone.Properties["BackingFormat"].Value);
        Assert.Equal(GiB, clone.Properties["VirtualSize"].Value);
        Assert.Equal(baseBytes, File.ReadAllBytes(_ps.Work("base.qcow2")));

        // A larger clone of a smaller base, and a clone of a raw base (the backing format is read, not guessed).
        Assert.Equal(2 * GiB, _ps.Ok("New-HeadlessVmDisk big.qcow2 -BackingPath base.qcow2 -SizeGB 2").Single().Properties["VirtualSize"].Value);
        _ps.Ok("New-HeadlessVmDisk raw.img -SizeGB 1 | Out-Null");
        Assert.Equal("raw", _ps.Ok("New-HeadlessVmDisk rawclone.qcow2 -BackingPath raw.img").Single().Properties["BackingFormat"].Value);
    }

    [Fact]
    public void An_existing_file_is_never_overwritten_without_Force()
    {
        File.WriteAllText(_ps.Work("keep.qcow2"), "precious");
        var r = _ps.Run("New-HeadlessVmDisk keep.qcow2 -SizeGB 1");
        var error = r.Errors.Single();
        Assert.Equal("DiskExists,HeadlessVm.Commands.NewHeadlessVmDiskCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
        Assert.Equal(_ps.Work("keep.qcow2"), error.TargetObject);
        Assert.Equal("precious", File.ReadAllText(_ps.Work("keep.qcow2")));

        Assert.Empty(_ps.Ok("New-HeadlessVmDisk keep.qcow2 -SizeGB 1 -Force -WhatIf"));
        Assert.Equal("precious", File.ReadAllText(_ps.Work("keep.qcow2")));

        Assert.Equal("qcow2", _ps.Ok("New-HeadlessVmDisk keep.qcow2 -SizeGB 1 -Force").Single().Properties["Format"].Value);
    }

    [Fact]
    public void A_size_or_format_qemu_img_refuses_is_an_error_with_its_message_and_leaves_no_file()
    {
        var tooLarge = _ps.Run("New-HeadlessVmDisk huge.vhd -SizeGB 3000").Errors.Single();
        Assert.Equal("QemuImgCreateFailed,HeadlessVm.Commands.NewHeadlessVmDiskCommand", tooLarge.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, tooLarge.CategoryInfo.Category);
        Assert.Contains("too large for file format 'vpc'", tooLarge.Exception.Message);
        Assert.False(File.Exists(_ps.Work("huge.vhd")));

        _ps.Ok("New-HeadlessVmDisk base.qcow2 -SizeGB 1 | Out-Null");
        var noBacking = _ps.Run("New-HeadlessVmDisk clone.img -BackingPath base.qcow2").Errors.Single();
        Assert.Equal("QemuImgCreateFailed,HeadlessVm.Commands.NewHeadlessVmDiskCommand", noBacking.FullyQualifiedErrorId);
        Assert.Contains("Backing file not supported for file format 'raw'", noBacking.Exception.Message);
        Assert.False(File.Exists(_ps.Work("clone.img")));

        var noSize = _ps.Run("New-HeadlessVmDisk nosize.qcow2").Errors.Single();
        Assert.Equal("DiskSizeRequired,HeadlessVm.Commands.NewHeadlessVmDiskCommand", noSize.FullyQualifiedErrorId);

        var badFormat = _ps.Run("New-HeadlessVmDisk x.qcow2 -SizeGB 1 -Format floppy").Errors.Single();
        Assert.StartsWith("ParameterArgumentValidationError", badFormat.FullyQualifiedErrorId);
        Assert.False(File.Exists(_ps.Work("x.qcow2")));
    }

    [Fact]
    public void New_HeadlessVmDisk_takes_specifications_from_the_pipeline_and_WhatIf_creates_nothing()
    {
        var made = _ps.Ok("@([pscustomobject]@{ Path = 'p1.qcow2'; SizeGB = 1 }, [pscustomobject]@{ Path = 'p2.vhdx'; SizeGB = 2; Format = 'vhdx' }) | New-HeadlessVmDisk");
        Assert.Equal(new[] { "qcow2", "vhdx" }, made.Select(d => d.Properties["Format"].Value));
        Assert.Empty(_ps.Ok("New-HeadlessVmDisk w.qcow2 -SizeGB 1 -WhatIf"));
        Assert.False(File.Exists(_ps.Work("w.qcow2")));
    }

    [Fact]
    public void A_missing_disk_is_ObjectNotFound_and_a_wildcard_that_matches_nothing_is_not_an_error()
    {
        var error = _ps.Run("Get-HeadlessVmDisk nope.qcow2").Errors.Single();
        Assert.Equal("DiskNotFound,HeadlessVm.Commands.GetHeadlessVmDiskCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal(_ps.Work("nope.qcow2"), error.TargetObject);
        Assert.Empty(_ps.Ok("Get-HeadlessVmDisk *.vmdk"));
    }
}
