using HeadlessVm.Core;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tests;

public sealed class QemuArgumentBuilderTests
{
    private static readonly StatePaths.VmFiles Paths = new("/state/vms/web1");

    private static VmSpec Spec(Func<VmSpec, VmSpec>? change = null)
    {
        var spec = new VmSpec { Name = "web1", MemoryMB = 2048, ProcessorCount = 2, VncDisplay = 1, MacAddress = "52:54:00:12:34:56" };
        return change is null ? spec : change(spec);
    }

    [Fact]
    public void A_plain_VM_gets_memory_with_dash_m_a_loopback_VNC_display_QMP_serial_and_daemon_mode()
    {
        var command = QemuArgumentBuilder.Build(Spec(), Paths, AcceleratorKind.Tcg, "max");
        Assert.Equal("qemu-system-x86_64", command.Program);
        Assert.Equal(new[]
        {
            "-name", "guest=web1",
            "-accel", "tcg",
            "-cpu", "max",
            "-smp", "2",
            "-m", "2048",
            "-display", "none",
            "-vnc", "127.0.0.1:1,password=on",
            "-chardev", "socket,id=qmp,path=/state/vms/web1/qmp.sock,server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            "-chardev", "file,id=serial0,path=/state/vms/web1/serial.log",
            "-serial", "chardev:serial0",
            "-netdev", "user,id=net0",
            "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56",
            "-pidfile", "/state/vms/web1/qemu.pid",
            "-daemonize",
        }, command.Arguments);
    }

    [Fact]
    public void A_paused_start_adds_dash_S_and_nothing_else()
    {
        var plain = QemuArgumentBuilder.Build(Spec(), Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        var paused = QemuArgumentBuilder.Build(Spec(), Paths, AcceleratorKind.Tcg, "max", paused: true).Arguments.ToList();
        Assert.Equal(plain.Count + 1, paused.Count);
        Assert.DoesNotContain("-S", plain);
        Assert.Equal(1, paused.Count(a => a == "-S"));
        paused.Remove("-S");
        Assert.Equal(plain, paused);
    }

    [Fact]
    public void KVM_uses_the_kvm_accelerator()
    {
        var a = QemuArgumentBuilder.Build(Spec(), Paths, AcceleratorKind.Kvm, "host").Arguments.ToList();
        Assert.Equal("kvm", a[a.IndexOf("-accel") + 1]);
        Assert.Equal("host", a[a.IndexOf("-cpu") + 1]);
    }

    [Fact]
    public void Auto_must_be_resolved_before_building()
    {
        Assert.Throws<ArgumentException>(() => QemuArgumentBuilder.Build(Spec(), Paths, AcceleratorKind.Auto, "max"));
    }

    [Fact]
    public void An_ISO_alone_is_a_CD_ROM_that_boots_first()
    {
        var a = QemuArgumentBuilder.Build(Spec(s => s with { IsoPath = "/isos/debian.iso" }), Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Equal("file=/isos/debian.iso,media=cdrom,readonly=on,id=cdrom0", a[a.IndexOf("-drive") + 1]);
        Assert.Equal("order=d", a[a.IndexOf("-boot") + 1]);
    }

    [Fact]
    public void Disks_carry_their_format_and_boot_first_without_an_ISO()
    {
        var spec = Spec(s => s with { Disks = new[] { new DiskSpec("/d/a.qcow2", "qcow2"), new DiskSpec("/d/b.vhd", "vpc") } });
        var a = QemuArgumentBuilder.Build(spec, Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Equal(new[] { "file=/d/a.qcow2,format=qcow2,if=virtio", "file=/d/b.vhd,format=vpc,if=virtio" },
            a.Select((x, i) => (x, i)).Where(t => t.x == "-drive").Select(t => a[t.i + 1]));
        Assert.Equal("order=c", a[a.IndexOf("-boot") + 1]);
    }

    [Fact]
    public void An_ISO_with_a_disk_boots_the_ISO_then_the_disk_unless_told_otherwise()
    {
        var spec = Spec(s => s with { IsoPath = "/i.iso", Disks = new[] { new DiskSpec("/d.qcow2", "qcow2") } });
        var a = QemuArgumentBuilder.Build(spec, Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Equal("order=dc", a[a.IndexOf("-boot") + 1]);
        a = QemuArgumentBuilder.Build(spec with { BootOrder = "c" }, Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Equal("order=c", a[a.IndexOf("-boot") + 1]);
    }

    [Fact]
    public void Commas_in_paths_are_doubled_as_qemu_option_syntax_requires()
    {
        var spec = Spec(s => s with { Disks = new[] { new DiskSpec("/d/a,b.qcow2", "qcow2") } });
        var a = QemuArgumentBuilder.Build(spec, new StatePaths.VmFiles("/st,ate/web1"), AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Contains("file=/d/a,,b.qcow2,format=qcow2,if=virtio", a);
        Assert.Contains("socket,id=qmp,path=/st,,ate/web1/qmp.sock,server=on,wait=off", a);
    }

    [Fact]
    public void Direct_kernel_boot_passes_kernel_initrd_and_arguments_as_single_arguments()
    {
        var spec = Spec(s => s with { KernelPath = "/k/vmlinuz", InitrdPath = "/k/initrd.img", KernelArgument = "console=ttyS0 quiet" });
        var a = QemuArgumentBuilder.Build(spec, Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Equal("/k/vmlinuz", a[a.IndexOf("-kernel") + 1]);
        Assert.Equal("/k/initrd.img", a[a.IndexOf("-initrd") + 1]);
        Assert.Equal("console=ttyS0 quiet", a[a.IndexOf("-append") + 1]);
        Assert.DoesNotContain("-boot", a);
    }

    [Fact]
    public void Port_forwards_become_hostfwd_rules_and_no_network_is_nic_none()
    {
        var spec = Spec(s => s with { PortForwards = new[] { PortForward.Parse("2222:22"), PortForward.Parse("0.0.0.0:8080:80") } });
        var a = QemuArgumentBuilder.Build(spec, Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Equal("user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=tcp:0.0.0.0:8080-:80", a[a.IndexOf("-netdev") + 1]);

        a = QemuArgumentBuilder.Build(Spec(s => s with { Network = NetworkMode.None }), Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Equal("none", a[a.IndexOf("-nic") + 1]);
        Assert.DoesNotContain("-netdev", a);
    }

    [Fact]
    public void An_IPv6_listen_address_is_bracketed_for_VNC()
    {
        var a = QemuArgumentBuilder.Build(Spec(s => s with { ListenAddress = "::1", VncDisplay = 3 }), Paths, AcceleratorKind.Tcg, "max").Arguments.ToList();
        Assert.Equal("[::1]:3,password=on", a[a.IndexOf("-vnc") + 1]);
    }

    [Fact]
    public void Other_architectures_use_their_own_binary_and_a_machine_where_qemu_has_no_default()
    {
        var command = QemuArgumentBuilder.Build(Spec(s => s with { Architecture = "aarch64" }), Paths, AcceleratorKind.Tcg, "max");
        Assert.Equal("qemu-system-aarch64", command.Program);
        Assert.Equal("virt", command.Arguments[command.Arguments.ToList().IndexOf("-machine") + 1]);
    }

    [Fact]
    public void Extra_arguments_come_last_as_given()
    {
        var a = QemuArgumentBuilder.Build(Spec(s => s with { ExtraArguments = new[] { "-rtc", "base=utc" } }), Paths, AcceleratorKind.Tcg, "max").Arguments;
        Assert.Equal(new[] { "-daemonize", "-rtc", "base=utc" }, a.TakeLast(3));
    }

    [Theory]
    [InlineData("a.qcow2", "qcow2")]
    [InlineData("a.QCOW2", "qcow2")]
    [InlineData("a.vhd", "vpc")]
    [InlineData("a.vpc", "vpc")]
    [InlineData("a.vhdx", "vhdx")]
    [InlineData("a.vmdk", "vmdk")]
    [InlineData("a.raw", "raw")]
    // No ".img" row: an .img file is as often qcow2 (cloud images) as raw; an existing image's format comes
    // from its content (qemu-img info), which DiskContentAndBootTests prove with the real program.
    public void The_extension_names_a_format_which_a_new_image_takes(string path, string format)
    {
        Assert.Equal(format, DiskFormats.FromExtension(path));
    }

    [Fact]
    public void An_existing_image_takes_the_format_of_its_content_and_a_name_that_disagrees_is_a_warning()
    {
        var warnings = new List<string>();
        Assert.Equal("qcow2", DiskFormats.Resolve("/d/cloud.img", null, _ => "qcow2", warnings.Add));
        Assert.Contains("holds a qcow2 image, though its name says raw", Assert.Single(warnings));
        Assert.Equal("vmdk", DiskFormats.Resolve("/d/x.bin", null, _ => "vmdk", warnings.Add));
        Assert.Equal("qcow2", DiskFormats.Resolve("/d/x.qcow2", null, _ => "qcow2", warnings.Add));
        Assert.Single(warnings);
        // The override is taken as stated, and the content is not even read.
        Assert.Equal("raw", DiskFormats.Resolve("/d/x.qcow2", "raw", _ => throw new InvalidOperationException(), warnings.Add));
    }

    [Fact]
    public void Raw_content_is_raw_only_when_the_name_says_so_too()
    {
        Assert.Equal("raw", DiskFormats.Resolve("/d/x.img", null, _ => "raw", _ => { }));
        var ex = Assert.Throws<HeadlessVmException>(() => DiskFormats.Resolve("/d/x.bin", null, _ => "raw", _ => { }));
        Assert.Equal("DiskFormatUnknown", ex.ErrorId);
        Assert.Contains("though its name says qcow2", Assert.Throws<HeadlessVmException>(() => DiskFormats.Resolve("/d/x.qcow2", null, _ => "raw", _ => { })).Message);
        Assert.Equal("raw", DiskFormats.Resolve("/d/x.bin", "raw", _ => "raw", _ => { }));
        Assert.Equal("vpc", DiskFormats.Resolve("/d/x.bin", "vhd", _ => "raw", _ => { }));
        Assert.Equal("UnknownDiskFormat", Assert.Throws<HeadlessVmException>(() => DiskFormats.Resolve("/d/x.bin", "floppy", _ => "raw", _ => { })).ErrorId);
    }

    [Theory]
    [InlineData("8080:80", "127.0.0.1", 8080, 80)]
    [InlineData("0.0.0.0:2222:22", "0.0.0.0", 2222, 22)]
    [InlineData("127.0.0.1:2223->22", "127.0.0.1", 2223, 22)]
    [InlineData("2223->22", "127.0.0.1", 2223, 22)]
    [InlineData(" 0.0.0.0:80->8080 ", "0.0.0.0", 80, 8080)]
    public void Port_forwards_parse(string text, string address, int host, int guest)
    {
        Assert.Equal(new PortForward(address, host, guest), PortForward.Parse(text));
    }

    [Theory]
    [InlineData("80")]
    [InlineData("a:b")]
    [InlineData("70000:80")]
    [InlineData("host:1:2")]
    public void Bad_port_forwards_are_refused(string text)
    {
        Assert.Equal("InvalidPortForward", Assert.Throws<HeadlessVmException>(() => PortForward.Parse(text)).ErrorId);
    }
}
