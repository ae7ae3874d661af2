using HeadlessVm.Core.Model;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>Parsing domains HeadlessVm did not create, as `virsh dumpxml` shows them (Libvirt/Golden/*.xml).</summary>
public sealed class DomainXmlParseTests
{
    [Fact]
    public void A_virt_install_domain_with_SPICE_is_External_and_has_no_VNC()
    {
        var d = DomainXml.Parse(DomainXmlBuildTests.Golden("virt-install-spice.xml"));
        Assert.Equal("debian12", d.Name);
        Assert.Equal(Guid.Parse("5c2d6a8e-1f0b-4f52-9b3e-7d41c0e9a2b4"), d.Uuid);
        Assert.Equal("kvm", d.Type);
        Assert.Equal(2097152UL, d.MemoryKiB);
        Assert.Equal(2, d.VirtualCpus);
        Assert.Equal(ManagedBy.External, d.ManagedBy);
        Assert.Null(d.Metadata);
        Assert.Null(d.Vnc);

        // Not dumped with VIR_DOMAIN_XML_SECURE: whether SPICE has a password is unknown.
        Assert.Equal(new DomainGraphics("spice", "127.0.0.1", null, 5900, true, null), Assert.Single(d.Graphics));
        Assert.Equal(
            new[]
            {
                new DomainDisk("disk", "file", "/var/lib/libvirt/images/debian12.qcow2", "qcow2", "vda", "virtio", false),
                new DomainDisk("cdrom", "file", null, null, "sda", "sata", true),
            },
            d.Disks);
        Assert.Equal(new DomainInterface("network", "52:54:00:8a:3b:1c", "virtio", "default"), Assert.Single(d.Interfaces));
        Assert.Equal(new DomainCharDevice("serial", "pty", "/dev/pts/3", null, "isa-serial"), Assert.Single(d.Serials));
        Assert.Equal(new DomainCharDevice("console", "pty", "/dev/pts/3", null, "serial"), Assert.Single(d.Consoles));
    }

    [Fact]
    public void A_VNC_display_without_a_password_is_known_to_have_none_only_in_a_secure_dump()
    {
        var xml = DomainXmlBuildTests.Golden("vnc-no-password.xml");
        var secure = DomainXml.Parse(xml, dumpedSecure: true);
        Assert.Equal(new DomainGraphics("vnc", "0.0.0.0", null, 5901, false, false), secure.Vnc);
        Assert.Null(DomainXml.Parse(xml).Vnc!.HasPassword);

        Assert.Equal(ManagedBy.External, secure.ManagedBy);
        Assert.Equal(4194304UL, secure.MemoryKiB);
        Assert.Equal(2, secure.VirtualCpus);
        Assert.Equal(
            new[]
            {
                new DomainDisk("disk", "block", "/dev/vg0/legacy-app", "raw", "vda", "virtio", false),
                new DomainDisk("disk", "network", "pool/legacy-data", "raw", "vdb", "virtio", false),
            },
            secure.Disks);
        Assert.Equal(new DomainInterface("bridge", "52:54:00:c4:d5:e6", "e1000", "br0"), Assert.Single(secure.Interfaces));
    }

    [Fact]
    public void A_headless_domain_has_no_graphics_a_file_serial_and_someone_elses_metadata()
    {
        var d = DomainXml.Parse(DomainXmlBuildTests.Golden("headless-serial.xml"));
        Assert.Empty(d.Graphics);
        Assert.Null(d.Vnc);
        Assert.Equal(ManagedBy.External, d.ManagedBy);
        Assert.Equal("qemu", d.Type);
        Assert.Equal(new DomainDisk("disk", "volume", "ci/runner.qcow2", "qcow2", "vda", "virtio", false), Assert.Single(d.Disks));
        Assert.Empty(d.Interfaces);
        Assert.Equal(new DomainCharDevice("serial", "file", "/var/log/libvirt/qemu/ci-runner-serial.log", null, "isa-serial"), Assert.Single(d.Serials));
    }

    [Fact]
    public void Memory_in_any_libvirt_unit_is_read_as_KiB()
    {
        static ulong Kib(string memory) => DomainXml.Parse($"<domain type='qemu'><name>m</name>{memory}</domain>").MemoryKiB;
        Assert.Equal(1048576UL, Kib("<memory unit='GiB'>1</memory>"));
        Assert.Equal(524288UL, Kib("<memory unit='M'>512</memory>"));
        Assert.Equal(976562UL, Kib("<memory unit='GB'>1</memory>"));
        Assert.Equal(2048UL, Kib("<memory>2048</memory>"));
        Assert.Equal(1UL, Kib("<memory unit='b'>1024</memory>"));
    }

    [Fact]
    public void Text_that_is_not_a_readable_domain_is_InvalidDomainXml_with_the_target()
    {
        foreach (var xml in new[] { "<domain", "<network><name>n</name></network>", "<domain><memory>1</memory></domain>", "<domain><name>x</name></domain>", "<domain><name>x</name><memory unit='parsecs'>1</memory></domain>" })
        {
            var error = Assert.Throws<LibvirtException>(() => DomainXml.Parse(xml, target: "vm1"));
            Assert.Equal(ErrorIds.InvalidDomainXml, error.ErrorId);
            Assert.Equal(FailureKind.InvalidArgument, error.Kind);
            Assert.Equal("vm1", error.Target);
        }
    }
}
