using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// A graphics device. <see cref="Type"/> is libvirt's (vnc, spice, sdl, rdp, dbus, egl-headless, ...);
/// <see cref="ListenAddress"/> the address it listens on, <see cref="ListenSocket"/> a unix socket instead;
/// <see cref="Port"/> the TCP port, null until a running domain has one (autoport). <see cref="HasPassword"/>
/// is true when a passwd attribute is present, false when absent from XML dumped with VIR_DOMAIN_XML_SECURE,
/// and null when unknown (libvirt omits passwd from other dumps).
/// </summary>
public sealed record DomainGraphics(string Type, string? ListenAddress, string? ListenSocket, int? Port, bool AutoPort, bool? HasPassword);

/// <summary>
/// A disk: <see cref="Device"/> disk/cdrom/floppy/lun; <see cref="SourceType"/> file/block/network/volume;
/// <see cref="Source"/> the file or device path (or network name, or pool/volume), null for an empty drive;
/// <see cref="Format"/> the driver type (qcow2, raw, ...); <see cref="Target"/> the guest device name (vda, sda).
/// </summary>
public sealed record DomainDisk(string Device, string SourceType, string? Source, string? Format, string? Target, string? Bus, bool ReadOnly);

/// <summary>
/// A serial port or console: <see cref="Kind"/> serial/console; <see cref="Type"/> libvirt's character device
/// type (pty, file, unix, tcp, null, ...); <see cref="SourcePath"/> the pty or file while known;
/// <see cref="LogFile"/> the log file, if any; <see cref="TargetType"/> for consoles (serial, virtio).
/// </summary>
public sealed record DomainCharDevice(string Kind, string Type, string? SourcePath, string? LogFile, string? TargetType);

/// <summary>A network interface: type (user, network, bridge, ...), MAC, model, and the source network or bridge.</summary>
public sealed record DomainInterface(string Type, string? MacAddress, string? Model, string? Source);

/// <summary>What HeadlessVm keeps in its own metadata element: when it created the domain and the port forwards to add after each start.</summary>
public sealed record HeadlessVmDomainMetadata(DateTimeOffset? Created, IReadOnlyList<PortForward> PortForwards);

/// <summary>
/// The parts of a domain's XML HeadlessVm reads (docs/formatdomain.rst): <see cref="Type"/> the domain type
/// (kvm, qemu, test), memory in KiB (&lt;memory&gt; in any unit, converted), vCPUs (the current count), devices,
/// and HeadlessVm's metadata, null for a domain it did not create.
/// </summary>
public sealed record DomainDefinition(
    string Name,
    Guid? Uuid,
    string Type,
    ulong MemoryKiB,
    int VirtualCpus,
    IReadOnlyList<DomainGraphics> Graphics,
    IReadOnlyList<DomainDisk> Disks,
    IReadOnlyList<DomainInterface> Interfaces,
    IReadOnlyList<DomainCharDevice> Serials,
    IReadOnlyList<DomainCharDevice> Consoles,
    HeadlessVmDomainMetadata? Metadata)
{
    /// <summary>HeadlessVm when <see cref="Metadata"/> is present; External otherwise.</summary>
    public ManagedBy ManagedBy => Metadata is null ? ManagedBy.External : ManagedBy.HeadlessVm;

    /// <summary>The first VNC display, or null (a SPICE-only or headless domain).</summary>
    public DomainGraphics? Vnc => Graphics.FirstOrDefault(g => g.Type == "vnc");
}
