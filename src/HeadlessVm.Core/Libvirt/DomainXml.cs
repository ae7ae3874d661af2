using System.Globalization;
using System.Xml.Linq;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// libvirt domain XML, both directions (docs/formatdomain.rst): <see cref="Build"/> writes the domain for a
/// <see cref="LibvirtDomainSpec"/>; <see cref="Parse"/> reads the parts HeadlessVm needs from any domain.
/// Pure: no I/O, so tests compare the output with golden files.
/// </summary>
public static partial class DomainXml
{
    private static readonly XNamespace QemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0";

    /// <summary>
    /// The guest device of the cloud-init seed's CD-ROM, on a virtio-scsi controller: cloud kernels carry virtio drivers, but
    /// not all carry AHCI (Debian's cloud kernel has CONFIG_SATA_AHCI unset), and the pc machine's IDE is x86 only.
    /// </summary>
    public const string CloudInitTarget = "sdb";

    /// <summary>
    /// The domain XML for <paramref name="spec"/>, indented, without an XML declaration:
    /// domain type kvm or qemu; memory in MiB; <c>&lt;features&gt;&lt;acpi/&gt;</c> so the power button works;
    /// host-passthrough CPU under KVM and <c>mode='maximum'</c> under TCG unless a model is named; direct kernel
    /// boot or boot devices; the ISO as a read-only SATA CD-ROM (sda) and the cloud-init seed as a read-only CD-ROM on virtio-scsi (sdb); disks on virtio; user networking with a virtio
    /// NIC (or none); a pty serial port (logged to a file when asked) with a console on it; VNC on
    /// <see cref="LibvirtDomainSpec.VncListenAddress"/> with autoport (or the fixed <see cref="LibvirtDomainSpec.VncPort"/>) and the password (libvirt sets it over QMP,
    /// so it never reaches qemu's argv); a VGA adapter; HeadlessVm's metadata element; and qemu:commandline arguments when asked for.
    /// Throws <see cref="ArgumentException"/> for a spec that cannot be written (Auto accelerator, an empty name
    /// or password, a bad boot letter, more than 26 disks).
    /// </summary>
    public static string Build(LibvirtDomainSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Validate(spec);
        var domain = new XElement(
            "domain",
            new XAttribute("type", spec.Accelerator == AcceleratorKind.Kvm ? "kvm" : "qemu"),
            new XElement("name", spec.Name),
            new XElement("uuid", spec.Uuid.ToString("D")),
            new XElement("metadata", DomainMetadata.ToElement(new HeadlessVmDomainMetadata(
                spec.Created, spec.PortForwards, spec.MacAddressGenerated, spec.CloudInit, spec.CloudInit is null ? null : spec.CloudInitSeedPath))),
            new XElement("memory", new XAttribute("unit", "MiB"), spec.MemoryMiB.ToString(CultureInfo.InvariantCulture)),
            new XElement("vcpu", spec.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
            Os(spec),
            new XElement("features", new XElement("acpi")),
            Cpu(spec),
            new XElement("clock", new XAttribute("offset", "utc")),
            new XElement("on_poweroff", "destroy"),
            new XElement("on_reboot", "restart"),
            new XElement("on_crash", "destroy"),
            Devices(spec),
            QemuCommandLine(spec));
        return domain.ToString();
    }

    /// <summary>The text of the root's &lt;name&gt;, or null when the text is not XML or has none.</summary>
    public static string? TryReadName(string xml)
    {
        try
        {
            var name = XDocument.Parse(xml).Root?.Element("name")?.Value.Trim();
            return string.IsNullOrEmpty(name) ? null : name;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    private static void Validate(LibvirtDomainSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Name) || spec.Name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{spec.Name}' cannot be a domain name: it is empty or contains '/'.", nameof(spec));
        }

        if (spec.Accelerator == AcceleratorKind.Auto)
        {
            throw new ArgumentException("Resolve the accelerator (Kvm or Tcg) before building the domain.", nameof(spec));
        }

        if (spec.MemoryMiB <= 0 || spec.ProcessorCount <= 0)
        {
            throw new ArgumentException("Memory and processor count must be positive.", nameof(spec));
        }

        if (string.IsNullOrEmpty(spec.VncPassword))
        {
            throw new ArgumentException("A HeadlessVm domain always has a VNC password.", nameof(spec));
        }

        if (spec.Disks.Count > 26)
        {
            throw new ArgumentException("At most 26 disks (vda to vdz).", nameof(spec));
        }
    }

    private static XElement Os(LibvirtDomainSpec spec)
    {
        var os = new XElement("os", new XElement(
            "type",
            new XAttribute("arch", spec.Architecture),
            MachineDefaults.Machine(spec.Architecture) is { } machine ? new XAttribute("machine", machine) : null,
            "hvm"));
        if (spec.KernelPath is not null)
        {
            os.Add(new XElement("kernel", spec.KernelPath));
            if (spec.InitrdPath is not null)
            {
                os.Add(new XElement("initrd", spec.InitrdPath));
            }

            if (!string.IsNullOrEmpty(spec.KernelArguments))
            {
                os.Add(new XElement("cmdline", spec.KernelArguments));
            }
        }

        foreach (var device in BootDevices(spec))
        {
            os.Add(new XElement("boot", new XAttribute("dev", device)));
        }

        return os;
    }

    /// <summary>qemu's boot letters as libvirt boot devices (formatdomain.rst, BIOS bootloader: fd, hd, cdrom, network).</summary>
    private static IEnumerable<string> BootDevices(LibvirtDomainSpec spec)
    {
        var order = spec.BootOrder ?? MachineDefaults.BootOrder(spec.KernelPath is not null, spec.IsoPath is not null, spec.Disks.Count) ?? string.Empty;
        return order.Select(letter => letter switch
        {
            'a' or 'b' => "fd",
            'c' => "hd",
            'd' => "cdrom",
            'n' => "network",
            _ => throw new ArgumentException($"'{letter}' in boot order '{order}' is not a boot device (a, b, c, d, n).", nameof(spec)),
        }).Distinct();
    }

    private static XElement Cpu(LibvirtDomainSpec spec) => spec.CpuModel switch
    {
        null => spec.Accelerator == AcceleratorKind.Kvm ? CpuMode("host-passthrough") : CpuMode("maximum"),
        "host" => CpuMode("host-passthrough"),
        "max" => CpuMode("maximum"),
        var model => new XElement(
            "cpu",
            new XAttribute("mode", "custom"),
            new XAttribute("match", "exact"),
            new XElement("model", new XAttribute("fallback", "forbid"), model)),
    };

    private static XElement CpuMode(string mode) => new("cpu", new XAttribute("mode", mode));

    private static XElement Devices(LibvirtDomainSpec spec)
    {
        var devices = new XElement("devices");
        if (spec.IsoPath is not null)
        {
            devices.Add(ReadOnlyCdrom(spec.IsoPath, "sda", "sata"));
        }

        if (spec.CloudInitSeedPath is not null)
        {
            // Without a model libvirt gives x86 an lsilogic controller, which cloud kernels rarely have.
            devices.Add(new XElement("controller", new XAttribute("type", "scsi"), new XAttribute("index", "0"), new XAttribute("model", "virtio-scsi")));
            devices.Add(ReadOnlyCdrom(spec.CloudInitSeedPath, CloudInitTarget, "scsi"));
        }

        for (var i = 0; i < spec.Disks.Count; i++)
        {
            var disk = spec.Disks[i];
            var block = disk.Path.StartsWith("/dev/", StringComparison.Ordinal);
            devices.Add(new XElement(
                "disk",
                new XAttribute("type", block ? "block" : "file"),
                new XAttribute("device", "disk"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", disk.Format)),
                new XElement("source", new XAttribute(block ? "dev" : "file", disk.Path)),
                new XElement("target", new XAttribute("dev", "vd" + (char)('a' + i)), new XAttribute("bus", "virtio"))));
        }

        if (spec.Network == NetworkMode.User)
        {
            devices.Add(new XElement(
                "interface",
                new XAttribute("type", "user"),
                spec.MacAddress is null ? null : new XElement("mac", new XAttribute("address", spec.MacAddress)),
                new XElement("model", new XAttribute("type", "virtio"))));
        }

        devices.Add(new XElement(
            "serial",
            new XAttribute("type", "pty"),
            spec.SerialLogPath is null ? null : new XElement("log", new XAttribute("file", spec.SerialLogPath), new XAttribute("append", "off")),
            new XElement("target", new XAttribute("port", "0"))));
        devices.Add(new XElement(
            "console",
            new XAttribute("type", "pty"),
            new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", "0"))));
        devices.Add(new XElement(
            "graphics",
            new XAttribute("type", "vnc"),
            new XAttribute("port", spec.VncPort?.ToString(CultureInfo.InvariantCulture) ?? "-1"),
            new XAttribute("autoport", spec.VncPort is null ? "yes" : "no"),
            new XAttribute("passwd", spec.VncPassword),
            new XElement("listen", new XAttribute("type", "address"), new XAttribute("address", spec.VncListenAddress))));
        devices.Add(new XElement("video", new XElement("model", new XAttribute("type", "vga"))));
        return devices;
    }

    /// <summary>A read-only CD-ROM drive holding the raw image <paramref name="file"/> as guest device <paramref name="dev"/> on <paramref name="bus"/>.</summary>
    private static XElement ReadOnlyCdrom(string file, string dev, string bus) => new(
        "disk",
        new XAttribute("type", "file"),
        new XAttribute("device", "cdrom"),
        new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
        new XElement("source", new XAttribute("file", file)),
        new XElement("target", new XAttribute("dev", dev), new XAttribute("bus", bus)),
        new XElement("readonly"));

    /// <summary>
    /// Arguments appended to qemu's command line (formatdomain.rst does not cover it; libvirt's QEMU driver reads
    /// &lt;qemu:commandline&gt; in the namespace http://libvirt.org/schemas/domain/qemu/1.0, docs/drvqemu.rst
    /// "Pass-through of arbitrary qemu commands"); libvirt marks such a domain tainted.
    /// </summary>
    private static XElement? QemuCommandLine(LibvirtDomainSpec spec) => spec.ExtraArguments.Count == 0
        ? null
        : new XElement(
            QemuNamespace + "commandline",
            new XAttribute(XNamespace.Xmlns + "qemu", QemuNamespace.NamespaceName),
            spec.ExtraArguments.Select(a => new XElement(QemuNamespace + "arg", new XAttribute("value", a))));
}
