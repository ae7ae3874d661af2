using System.Xml.Linq;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// A HeadlessVm domain's definition read back into what built it: the <see cref="LibvirtDomainSpec"/> that
/// <see cref="DomainXml.Build"/> turns into the same domain (UUID, VNC password, metadata, creation date, serial log,
/// qemu:commandline arguments kept), and the <see cref="VmSpec"/> that Set-HeadlessVm's checks (Backends.VmDraftValidator)
/// change. Only domains HeadlessVm created are read this way: another's XML holds what Build does not write.
/// </summary>
public static class LibvirtDomainSpecs
{
    private static readonly XNamespace QemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0";

    /// <summary>VmSpec.VncDisplay of a domain whose VNC port libvirt picks (autoport): no display of its own.</summary>
    public const int AutoDisplay = -1;

    /// <summary>
    /// Reads <paramref name="xml"/>, the domain's persistent definition dumped with VIR_DOMAIN_XML_SECURE and
    /// VIR_DOMAIN_XML_INACTIVE. InvalidDomainXml for XML HeadlessVm cannot read; a domain without a VNC display (or a
    /// password on it) gets a new password, which is what Build requires.
    /// </summary>
    public static (DomainDefinition Domain, LibvirtDomainSpec Built, VmSpec Spec) Read(string xml, string target)
    {
        var domain = DomainXml.Parse(xml, dumpedSecure: true, target: target);
        var root = XDocument.Parse(xml).Root!;
        var spec = DomainVms.ToSpec(domain);
        var accelerator = domain.Type == "kvm" ? AcceleratorKind.Kvm : AcceleratorKind.Tcg;
        var vncPort = domain.Vnc is { AutoPort: false, Port: { } port } ? port : (int?)null;

        // What Build wrote as its default CPU (host-passthrough under KVM, maximum under TCG) reads back as "not given".
        var cpu = domain.Cpu switch
        {
            { Mode: "host-passthrough" } => accelerator == AcceleratorKind.Kvm ? null : "host",
            { Mode: "maximum" } => accelerator == AcceleratorKind.Tcg ? null : "max",
            { Model: { } model } => model,
            _ => null,
        };

        // A boot order Build chose (none was given) stays unchosen, so that it follows the boot media when they change.
        var boot = spec.BootOrder == MachineDefaults.BootOrder(spec.KernelPath is not null, spec.IsoPath is not null, spec.Disks.Count) ? null : spec.BootOrder;
        var extra = root.Element(QemuNamespace + "commandline")?.Elements(QemuNamespace + "arg")
            .Select(a => (string?)a.Attribute("value")).OfType<string>().ToArray() ?? Array.Empty<string>();
        spec = spec with
        {
            Cpu = cpu,
            BootOrder = boot,
            Accelerator = accelerator,
            VncDisplay = vncPort is { } p ? p - VmSpec.VncBasePort : AutoDisplay,
            ExtraArguments = extra,
        };

        var built = new LibvirtDomainSpec
        {
            Name = domain.Name,
            Uuid = domain.Uuid ?? throw HeadlessVmErrors.InvalidDomainXml(target, "it has no <uuid>"),
            Architecture = spec.Architecture,
            MemoryMiB = spec.MemoryMB,
            ProcessorCount = spec.ProcessorCount,
            CpuModel = cpu,
            Accelerator = accelerator,
            IsoPath = spec.IsoPath,
            Disks = spec.Disks,
            KernelPath = spec.KernelPath,
            InitrdPath = spec.InitrdPath,
            KernelArguments = spec.KernelArgument,
            BootOrder = boot,
            Network = spec.Network,
            MacAddress = spec.MacAddress,
            PortForwards = spec.PortForwards,
            VncPassword = domain.Vnc?.Password is { Length: > 0 } password ? password : Backends.VmSecrets.NewVncPassword(),
            VncListenAddress = domain.Vnc?.ListenAddress ?? "127.0.0.1",
            VncPort = vncPort,
            ExtraArguments = extra,
            SerialLogPath = DomainVms.SerialLogFile(domain),
            Created = domain.Metadata?.Created ?? DateTimeOffset.Now,
            CloudInit = domain.Metadata?.CloudInit,
            CloudInitSeedPath = domain.Metadata?.CloudInitSeed,
        };
        return (domain, built, spec);
    }

    /// <summary>
    /// <paramref name="built"/> with the settings of <paramref name="next"/> (as VmDraftValidator.Apply returned them): name,
    /// memory, CPUs and model, boot media and order, disks, MAC, forwards, the VNC display (<see cref="AutoDisplay"/>: autoport) and the cloud-init data (its seed stays: the caller makes a new one).
    /// </summary>
    public static LibvirtDomainSpec With(LibvirtDomainSpec built, VmSpec next) => built with
    {
        Name = next.Name,
        MemoryMiB = next.MemoryMB,
        ProcessorCount = next.ProcessorCount,
        CpuModel = next.Cpu,
        IsoPath = next.IsoPath,
        Disks = next.Disks,
        KernelPath = next.KernelPath,
        InitrdPath = next.InitrdPath,
        KernelArguments = next.KernelArgument,
        BootOrder = next.BootOrder,
        MacAddress = next.MacAddress,
        PortForwards = next.PortForwards,
        VncPort = next.VncDisplay == AutoDisplay ? null : VmSpec.VncBasePort + next.VncDisplay,
        CloudInit = next.CloudInit,
    };
}
