using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// A HeadlessVm domain read back for Set-/Copy-HeadlessVm (<see cref="LibvirtDomainSpecs"/>) builds the very XML it was
/// built from, so that a change rewrites only what it changes; and the storage volume XML the copies ask libvirt for.
/// </summary>
public sealed class LibvirtDomainSpecsTests
{
    public static TheoryData<string> Specs() => new() { "kernel", "iso", "host-cpu", "max-cpu-kvm", "fixed-port", "extra", "boot-order", "cloud-init" };

    private static readonly CloudInitConfig CloudInit = new()
    {
        InstanceId = "t-0123456789ab",
        UserName = "admin",
        HostName = "guest",
        SshPublicKeys = new[] { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0 me@host", "ssh-rsa AAAAB3 other" },
        NetworkConfig = "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n",
    };

    private static LibvirtDomainSpec Spec(string which) => which switch
    {
        "kernel" => DomainXmlBuildTests.KernelBoot,
        "iso" => DomainXmlBuildTests.IsoInstall,
        "host-cpu" => DomainXmlBuildTests.KernelBoot with { CpuModel = "host" },
        "max-cpu-kvm" => DomainXmlBuildTests.IsoInstall with { CpuModel = "max" },
        "fixed-port" => DomainXmlBuildTests.KernelBoot with { VncPort = 5907, VncListenAddress = "127.0.0.2" },
        "extra" => DomainXmlBuildTests.KernelBoot with { ExtraArguments = new[] { "-device", "virtio-rng-pci" } },
        "boot-order" => DomainXmlBuildTests.IsoInstall with { BootOrder = "dc" },
        "cloud-init" => DomainXmlBuildTests.IsoInstall with { CloudInit = CloudInit, CloudInitSeedPath = "/p/t-0123456789ab-cidata.iso" },
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
    public void The_cloud_init_data_and_seed_live_in_the_metadata_and_the_seed_is_a_read_only_virtio_scsi_CD_ROM_not_the_ISO()
    {
        var config = CloudInit with { UserName = null, SshPublicKeys = Array.Empty<string>(), UserData = "#cloud-config\nruncmd:\n  - echo \"a < b & c\"\n" };
        var domain = DomainXml.Parse(DomainXml.Build(DomainXmlBuildTests.IsoInstall with { CloudInit = config, CloudInitSeedPath = "/p/seed.iso" }), dumpedSecure: true);
        Assert.Equal(config with { SshPublicKeys = domain.Metadata!.CloudInit!.SshPublicKeys }, domain.Metadata.CloudInit);
        Assert.Empty(domain.Metadata.CloudInit.SshPublicKeys);
        Assert.Equal("/p/seed.iso", domain.Metadata.CloudInitSeed);
        var seed = Assert.Single(domain.Disks, d => d.Source == "/p/seed.iso");
        Assert.Equal(("cdrom", "sdb", "scsi", true), (seed.Device, seed.Target, seed.Bus, seed.ReadOnly));
        var spec = DomainVms.ToSpec(domain);
        Assert.Equal(DomainXmlBuildTests.IsoInstall.IsoPath, spec.IsoPath);
        Assert.Equal("t-0123456789ab", spec.CloudInit?.InstanceId);
        Assert.Null(DomainVms.ToSpec(DomainXml.Parse(DomainXml.Build(DomainXmlBuildTests.IsoInstall), dumpedSecure: true)).CloudInit);
    }

    [Fact]
    public void A_seed_volume_is_raw_and_mode_0600()
    {
        Assert.Equal(
            "<volume>\n  <name>s-cidata.iso</name>\n  <capacity unit=\"bytes\">374784</capacity>\n  <target>\n    <format type=\"raw\" />\n    <permissions>\n      <mode>0600</mode>\n    </permissions>\n  </target>\n</volume>",
            LibvirtConnection.PrivateRawVolumeXml("s-cidata.iso", 374784).ReplaceLineEndings("\n"));
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
