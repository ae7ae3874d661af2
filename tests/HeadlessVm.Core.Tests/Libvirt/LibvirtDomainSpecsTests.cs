using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// A HeadlessVm domain read back for Set-/Copy-HeadlessVm (<see cref="LibvirtDomainSpecs"/>) builds the very XML it was
/// built from, so that a change rewrites only what it changes; and the storage volume XML the copies ask libvirt for.
/// </summary>
public sealed class LibvirtDomainSpecsTests
{
    public static TheoryData<string> Specs() => new() { "kernel", "iso", "host-cpu", "max-cpu-kvm", "fixed-port", "extra", "boot-order" };

    private static LibvirtDomainSpec Spec(string which) => which switch
    {
        "kernel" => DomainXmlBuildTests.KernelBoot,
        "iso" => DomainXmlBuildTests.IsoInstall,
        "host-cpu" => DomainXmlBuildTests.KernelBoot with { CpuModel = "host" },
        "max-cpu-kvm" => DomainXmlBuildTests.IsoInstall with { CpuModel = "max" },
        "fixed-port" => DomainXmlBuildTests.KernelBoot with { VncPort = 5907, VncListenAddress = "127.0.0.2" },
        "extra" => DomainXmlBuildTests.KernelBoot with { ExtraArguments = new[] { "-device", "virtio-rng-pci" } },
        "boot-order" => DomainXmlBuildTests.IsoInstall with { BootOrder = "dc" },
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    [Theory]
    [MemberData(nameof(Specs))]
    public void A_domain_read_back_builds_the_same_XML(string which)
    {
        var xml = DomainXml.Build(Spec(which));
        var (_, built, spec) = LibvirtDomainSpecs.Read(xml, "t");
        Assert.Equal(xml, DomainXml.Build(built));
        Assert.Equal(xml, DomainXml.Build(LibvirtDomainSpecs.With(built, spec)));
    }

    [Fact]
    public void A_change_rewrites_only_what_it_changes_and_a_boot_order_left_to_the_builder_follows_the_media()
    {
        var (_, built, spec) = LibvirtDomainSpecs.Read(DomainXml.Build(DomainXmlBuildTests.KernelBoot with { KernelPath = null, InitrdPath = null, KernelArguments = null, Disks = new[] { new DiskSpec("/d.qcow2", "qcow2") } }), "t");
        Assert.Null(spec.BootOrder);
        Assert.Equal(LibvirtDomainSpecs.AutoDisplay, spec.VncDisplay);
        var changed = DomainXml.Parse(DomainXml.Build(LibvirtDomainSpecs.With(built, spec with { MemoryMB = 512, IsoPath = "/i.iso", VncDisplay = 3 })), dumpedSecure: true);
        Assert.Equal((512UL * 1024, 2, "/i.iso"), (changed.MemoryKiB, changed.VirtualCpus, DomainVms.ToSpec(changed).IsoPath));
        Assert.Equal((5903, false, "Xy7pQ2zK"), (changed.Vnc!.Port, changed.Vnc.AutoPort, changed.Vnc.Password));
        Assert.Equal(new[] { "cdrom", "hd" }.Order(), changed.Os.BootDevices.Order());
        Assert.Equal(DomainXmlBuildTests.KernelBoot.Uuid, changed.Uuid);
    }

    [Fact]
    public void Copies_ask_for_qcow2_version_3_and_name_the_backing_store()
    {
        Assert.Equal(
            "<volume>\n  <name>c-base.qcow2</name>\n  <capacity unit=\"bytes\">16611328</capacity>\n  <target>\n    <format type=\"qcow2\" />\n    <compat>1.1</compat>\n  </target>\n" +
            "  <backingStore>\n    <path>/p/base.qcow2</path>\n    <format type=\"qcow2\" />\n  </backingStore>\n</volume>",
            LibvirtConnection.VolumeXml("c-base.qcow2", "qcow2", 16611328, ("/p/base.qcow2", "qcow2")).ReplaceLineEndings("\n"));
        Assert.DoesNotContain("compat", LibvirtConnection.VolumeXml("d.img", "raw", 1024, null), StringComparison.Ordinal);
    }
}
