using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Tests;

/// <summary>A VM's definition is read and checked in one place, for every backend and cmdlet.</summary>
public sealed class VmDraftValidatorTests
{
    [Fact]
    public void Empty_text_is_not_given_and_disk_formats_and_forwards_are_read()
    {
        var spec = VmDraftValidator.ToSpec(new VmDraft
        {
            Name = "v",
            Cpu = " ",
            Architecture = "",
            MacAddress = "",
            ListenAddress = " ",
            DiskPaths = new[] { "/d/a.qcow2", " ", "/d/b.bin" },
            DiskFormats = new[] { "qcow2", "raw" },
            PortForwards = new[] { "2222:22", "", "0.0.0.0:2223->23" },
            ExtraArguments = new[] { "", "-no-hpet" },
        }, NoContent);
        Assert.Null(spec.Cpu);
        Assert.Null(spec.MacAddress);
        Assert.Equal("127.0.0.1", spec.ListenAddress);
        Assert.Equal(1024, spec.MemoryMB);
        Assert.Equal(1, spec.ProcessorCount);
        Assert.Equal(AcceleratorKind.Auto, spec.Accelerator);
        Assert.Equal(NetworkMode.User, spec.Network);
        Assert.Equal(VmDraftValidator.DefaultArchitecture, spec.Architecture);
        Assert.Equal(new[] { new DiskSpec("/d/a.qcow2", "qcow2"), new DiskSpec("/d/b.bin", "raw") }, spec.Disks);
        Assert.Equal(new[] { new PortForward("127.0.0.1", 2222, 22), new PortForward("0.0.0.0", 2223, 23) }, spec.PortForwards);
        Assert.Equal(new[] { "-no-hpet" }, spec.ExtraArguments);
        Assert.Null(VmDraftValidator.ToSpec(new VmDraft { Name = "v", Cpu = "(auto)" }, NoContent).Cpu);
    }

    [Fact]
    public void A_change_keeps_what_it_does_not_name_and_is_checked_as_a_new_VM_is()
    {
        var spec = new VmSpec
        {
            Name = "v", MemoryMB = 256, Cpu = "qemu64", IsoPath = "/i/a.iso", KernelArgument = "quiet",
            Disks = new[] { new DiskSpec("/d/a.qcow2", "qcow2") }, PortForwards = new[] { new PortForward("127.0.0.1", 2222, 22) },
        };
        var changed = VmDraftValidator.Apply(spec, new VmChange
        {
            ProcessorCount = 2, Cpu = "(auto)", IsoPath = "", AddDiskPaths = new[] { "/d/b.vhd" }, PortForwards = Array.Empty<string>(), NewName = "w",
        }, path => path.EndsWith(".vhd", StringComparison.Ordinal) ? "vpc" : throw new InvalidOperationException(path));
        Assert.Equal("w", changed.Name);
        Assert.Equal(256, changed.MemoryMB);
        Assert.Equal(2, changed.ProcessorCount);
        Assert.Null(changed.Cpu);
        Assert.Null(changed.IsoPath);
        Assert.Equal("quiet", changed.KernelArgument);
        Assert.Empty(changed.PortForwards);
        Assert.Equal(new[] { new DiskSpec("/d/a.qcow2", "qcow2"), new DiskSpec("/d/b.vhd", "vpc") }, changed.Disks);
        // No change is no change (lists compare by content, through the record's JSON).
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(spec), System.Text.Json.JsonSerializer.Serialize(VmDraftValidator.Apply(spec, new VmChange(), NoContent)));

        Assert.Equal(Errors.ErrorIds.InvalidMemorySize, Assert.Throws<HeadlessVmException>(() => VmDraftValidator.Apply(spec, new VmChange { MemoryMB = 1 }, NoContent)).ErrorId);
        Assert.Equal(Errors.ErrorIds.InvalidVmName, Assert.Throws<HeadlessVmException>(() => VmDraftValidator.Apply(spec, new VmChange { NewName = "a/b" }, NoContent)).ErrorId);
        Assert.Equal(Errors.ErrorIds.DiskNotAttached, Assert.Throws<HeadlessVmException>(() => VmDraftValidator.Apply(spec, new VmChange { RemoveDiskPaths = new[] { "/d/x" } }, NoContent)).ErrorId);
        Assert.Equal(Errors.ErrorIds.DuplicatePortForward, Assert.Throws<HeadlessVmException>(() =>
            VmDraftValidator.Apply(spec, new VmChange { PortForwards = new[] { "80:80", "0.0.0.0:80:81" } }, NoContent)).ErrorId);
    }

    [Fact]
    public void A_display_or_MAC_set_by_a_change_is_the_users_from_then_on()
    {
        var spec = new VmSpec { Name = "v", VncDisplay = 3, VncDisplayPicked = true, MacAddress = "52:54:00:00:00:01", MacAddressGenerated = true };
        var kept = VmDraftValidator.Apply(spec, new VmChange { MemoryMB = 64 }, NoContent);
        Assert.True(kept.VncDisplayPicked);
        Assert.True(kept.MacAddressGenerated);
        var set = VmDraftValidator.Apply(spec, new VmChange { VncDisplay = 3, MacAddress = "52-54-00-00-00-02" }, NoContent);
        Assert.False(set.VncDisplayPicked);
        Assert.False(set.MacAddressGenerated);
        Assert.Equal("52:54:00:00:00:02", set.MacAddress);
    }

    /// <summary>A content reader for drafts whose formats are all stated: it must not be asked.</summary>
    private static string NoContent(string path) => throw new InvalidOperationException($"{path} was read");

    [Theory]
    [InlineData("localhost", "InvalidListenAddress")]
    public void A_listen_address_must_be_an_IP_address(string address, string id)
    {
        Assert.Equal(id, Assert.Throws<HeadlessVmException>(() => VmDraftValidator.ToSpec(new VmDraft { Name = "v", ListenAddress = address }, NoContent)).ErrorId);
    }

    [Fact]
    public void Two_formats_for_three_disks_is_a_mismatch()
    {
        var draft = new VmDraft { Name = "v", DiskPaths = new[] { "/a.qcow2", "/b.qcow2", "/c.qcow2" }, DiskFormats = new[] { "qcow2", "raw" } };
        Assert.Equal("DiskFormatCountMismatch", Assert.Throws<HeadlessVmException>(() => VmDraftValidator.ToSpec(draft, NoContent)).ErrorId);
    }

    [Theory]
    [InlineData(15, 1, "InvalidMemorySize")]
    [InlineData(16 * 1024 * 1024 + 1, 1, "InvalidMemorySize")]
    [InlineData(64, 0, "InvalidProcessorCount")]
    [InlineData(64, 1025, "InvalidProcessorCount")]
    public void Memory_and_processors_are_checked_against_both_bounds(int memoryMB, int processors, string id)
    {
        var ex = Assert.Throws<HeadlessVmException>(() => VmDraftValidator.Validate(new VmSpec { Name = "v", MemoryMB = memoryMB, ProcessorCount = processors }));
        Assert.Equal(id, ex.ErrorId);
        Assert.Equal("v", ex.Target);
    }

    [Fact]
    public void A_valid_definition_comes_back_with_full_paths_and_a_normalised_MAC()
    {
        var folder = Directory.CreateTempSubdirectory("hvm-validate-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "vmlinuz"), "kernel");
            var given = Path.Combine(folder.FullName, "..", folder.Name, "vmlinuz");
            var spec = VmDraftValidator.Validate(new VmSpec
            {
                Name = "v",
                MemoryMB = 16,
                ProcessorCount = 1024,
                KernelPath = given,
                MacAddress = "52-54-00-AB-CD-EF",
            });
            Assert.Equal(Path.Combine(folder.FullName, "vmlinuz"), spec.KernelPath);
            Assert.Equal("52:54:00:ab:cd:ef", spec.MacAddress);
            Assert.Equal("InvalidMacAddress", Assert.Throws<HeadlessVmException>(() => VmDraftValidator.Validate(spec with { MacAddress = "01:00:00:00:00:00" })).ErrorId);
            Assert.Equal("BootFileNotFound", Assert.Throws<HeadlessVmException>(() => VmDraftValidator.Validate(spec with { InitrdPath = given + ".gone" })).ErrorId);
            // A kernel the VM had already is not looked for again (it may have gone since; qemu says so at start).
            var moved = spec with { KernelPath = "/gone/vmlinuz" };
            Assert.Equal("/gone/vmlinuz", VmDraftValidator.Validate(moved, moved).KernelPath);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
