using System.Runtime.CompilerServices;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>The domain XML builder against checked-in golden files (Libvirt/Golden/*.xml).</summary>
public sealed class DomainXmlBuildTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>A direct kernel boot under TCG, as the test guest boots: forwards, MAC, a serial log.</summary>
    internal static LibvirtDomainSpec KernelBoot => new()
    {
        Name = "web1",
        Uuid = Guid.Parse("0f6f2d5e-3c1a-4a8e-9d0b-6a1f2e3d4c5b"),
        MemoryMiB = 256,
        ProcessorCount = 2,
        Accelerator = AcceleratorKind.Tcg,
        KernelPath = "/var/lib/libvirt/images/hvm/vmlinuz",
        InitrdPath = "/var/lib/libvirt/images/hvm/initrd.img",
        KernelArguments = "console=ttyS0 console=tty0",
        MacAddress = "52:54:00:12:34:56",
        PortForwards = new[] { new PortForward("127.0.0.1", 18080, 80), new PortForward("0.0.0.0", 2222, 22) },
        VncPassword = "Xy7pQ2zK",
        SerialLogPath = "/var/log/libvirt/qemu/web1-serial.log",
        Created = Created,
    };

    /// <summary>An install under KVM: ISO and two disks (a file and a block device), a named CPU model, no network.</summary>
    internal static LibvirtDomainSpec IsoInstall => new()
    {
        Name = "db & cache",
        Uuid = Guid.Parse("a1b2c3d4-e5f6-4711-8899-aabbccddeeff"),
        MemoryMiB = 2048,
        ProcessorCount = 4,
        CpuModel = "Skylake-Client",
        Accelerator = AcceleratorKind.Kvm,
        IsoPath = "/srv/isos/debian-12.iso",
        Disks = new[] { new DiskSpec("/srv/vms/db.qcow2", "qcow2"), new DiskSpec("/dev/vg0/db-data", "raw") },
        Network = NetworkMode.None,
        VncPassword = "p<a>ss\"w'",
        Created = Created,
    };

    [Fact]
    public void A_kernel_boot_under_TCG_matches_its_golden_file() =>
        Assert.Equal(Golden("kernel-boot-tcg.xml"), DomainXml.Build(KernelBoot));

    [Fact]
    public void An_ISO_install_under_KVM_with_two_disks_and_no_network_matches_its_golden_file() =>
        Assert.Equal(Golden("iso-install-kvm.xml"), DomainXml.Build(IsoInstall));

    [Fact]
    public void Boot_letters_become_libvirt_boot_devices_in_order_and_host_and_max_pick_cpu_modes()
    {
        var parsed = System.Xml.Linq.XElement.Parse(DomainXml.Build(IsoInstall with { BootOrder = "ncd", CpuModel = "host", Accelerator = AcceleratorKind.Tcg }));
        Assert.Equal(new[] { "network", "hd", "cdrom" }, parsed.Element("os")!.Elements("boot").Select(b => (string)b.Attribute("dev")!));
        Assert.Equal("qemu", (string)parsed.Attribute("type")!);
        Assert.Equal("host-passthrough", (string)parsed.Element("cpu")!.Attribute("mode")!);
        Assert.Equal("maximum", (string)System.Xml.Linq.XElement.Parse(DomainXml.Build(KernelBoot with { CpuModel = "max" })).Element("cpu")!.Attribute("mode")!);
        Assert.Equal("virt", (string)System.Xml.Linq.XElement.Parse(DomainXml.Build(KernelBoot with { Architecture = "aarch64" }))
            .Element("os")!.Element("type")!.Attribute("machine")!);
    }

    [Fact]
    public void What_the_builder_writes_parses_back_with_the_same_facts()
    {
        var spec = KernelBoot;
        var parsed = DomainXml.Parse(DomainXml.Build(spec), dumpedSecure: true);
        Assert.Equal(spec.Name, parsed.Name);
        Assert.Equal(spec.Uuid, parsed.Uuid);
        Assert.Equal("qemu", parsed.Type);
        Assert.Equal(256UL * 1024, parsed.MemoryKiB);
        Assert.Equal(2, parsed.VirtualCpus);
        Assert.Equal(ManagedBy.HeadlessVm, parsed.ManagedBy);
        Assert.Equal(spec.PortForwards, parsed.Metadata!.PortForwards);
        Assert.Equal(Created, parsed.Metadata.Created);
        Assert.Equal(new DomainGraphics("vnc", "127.0.0.1", null, null, true, true) { Password = spec.VncPassword }, Assert.Single(parsed.Graphics));
        Assert.DoesNotContain(spec.VncPassword, parsed.Graphics[0].ToString(), StringComparison.Ordinal);
        Assert.Empty(parsed.Os.BootDevices);
        Assert.Equal((spec.KernelPath, spec.InitrdPath, spec.KernelArguments, "x86_64"), (parsed.Os.Kernel, parsed.Os.Initrd, parsed.Os.KernelArguments, parsed.Os.Architecture));
        Assert.Equal("maximum", parsed.Cpu.Mode);
        Assert.Equal(new DomainInterface("user", spec.MacAddress, "virtio", null), Assert.Single(parsed.Interfaces));
        Assert.Equal(new DomainCharDevice("serial", "pty", null, spec.SerialLogPath, null), Assert.Single(parsed.Serials));
        Assert.Equal(new DomainCharDevice("console", "pty", null, null, "serial"), Assert.Single(parsed.Consoles));

        var install = DomainXml.Parse(DomainXml.Build(IsoInstall));
        Assert.Equal("db & cache", install.Name);
        Assert.Equal(
            new[]
            {
                new DomainDisk("cdrom", "file", "/srv/isos/debian-12.iso", "raw", "sda", "sata", true),
                new DomainDisk("disk", "file", "/srv/vms/db.qcow2", "qcow2", "vda", "virtio", false),
                new DomainDisk("disk", "block", "/dev/vg0/db-data", "raw", "vdb", "virtio", false),
            },
            install.Disks);
        Assert.Empty(install.Interfaces);
    }

    [Fact]
    public void A_generated_MAC_and_a_port_libvirt_picks_read_back_as_such_so_a_recreated_VM_asks_for_neither()
    {
        var generated = DomainVms.ToSpec(DomainXml.Parse(DomainXml.Build(KernelBoot with { MacAddressGenerated = true })));
        Assert.True(generated.MacAddressGenerated);
        Assert.True(generated.VncDisplayPicked);
        var chosen = DomainVms.ToSpec(DomainXml.Parse(DomainXml.Build(KernelBoot with { VncPort = 5907 })));
        Assert.False(chosen.MacAddressGenerated);
        Assert.False(chosen.VncDisplayPicked);
    }

    [Fact]
    public void Specs_that_cannot_be_written_are_refused()
    {
        Assert.Throws<ArgumentException>(() => DomainXml.Build(KernelBoot with { Accelerator = AcceleratorKind.Auto }));
        Assert.Throws<ArgumentException>(() => DomainXml.Build(KernelBoot with { Name = "a/b" }));
        Assert.Throws<ArgumentException>(() => DomainXml.Build(KernelBoot with { VncPassword = "" }));
        Assert.Throws<ArgumentException>(() => DomainXml.Build(IsoInstall with { BootOrder = "cx" }));
        Assert.Throws<ArgumentException>(() => DomainXml.Build(KernelBoot with { MemoryMiB = 0 }));
    }

    [Fact]
    public void Host_forwards_become_hmp_hostfwd_commands_on_libvirts_first_netdev()
    {
        Assert.Equal("hostfwd_add hostnet0 tcp:127.0.0.1:18080-:80", HostForwardCommands.Add(new PortForward("127.0.0.1", 18080, 80)));
        Assert.Equal("hostfwd_remove hostnet0 tcp:0.0.0.0:2222", HostForwardCommands.Remove(new PortForward("0.0.0.0", 2222, 22)));
    }

    internal static string Golden(string name, [CallerFilePath] string here = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "Golden", name)).ReplaceLineEndings("\n").TrimEnd('\n');
}
