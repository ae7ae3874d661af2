using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// A graphics device. <see cref="Type"/> is libvirt's (vnc, spice, sdl, rdp, dbus, egl-headless, ...);
/// <see cref="ListenAddress"/> the address it listens on, <see cref="ListenSocket"/> a unix socket instead;
/// <see cref="Port"/> the TCP port, null until a running domain has one (autoport). <see cref="HasPassword"/>
/// is true when a passwd attribute is present, false when absent from XML dumped with VIR_DOMAIN_XML_SECURE,
/// and null when unknown (libvirt omits passwd from other dumps).
/// </summary>
public sealed record DomainGraphics(string Type, string? ListenAddress, string? ListenSocket, int? Port, bool AutoPort, bool? HasPassword)
{
    /// <summary>The password itself, present only in XML dumped with VIR_DOMAIN_XML_SECURE; never printed by <see cref="ToString"/>.</summary>
    public string? Password { get; init; }

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"Type = {Type}, ListenAddress = {ListenAddress}, ListenSocket = {ListenSocket}, Port = {Port}, AutoPort = {AutoPort}, HasPassword = {HasPassword}");
        return true;
    }
}

/// <summary>
/// The domain's &lt;os&gt;: the guest <see cref="Architecture"/> and <see cref="Machine"/> type, a direct kernel boot's
/// <see cref="Kernel"/>, <see cref="Initrd"/> and <see cref="KernelArguments"/> (paths on the libvirt host), and the
/// BIOS <see cref="BootDevices"/> in order (fd, hd, cdrom, network).
/// </summary>
public sealed record DomainOs(string? Architecture, string? Machine, string? Kernel, string? Initrd, string? KernelArguments, IReadOnlyList<string> BootDevices)
{
    /// <summary>An &lt;os&gt; that says nothing (a domain without one).</summary>
    public static DomainOs None { get; } = new(null, null, null, null, null, Array.Empty<string>());
}

/// <summary>The domain's &lt;cpu&gt;: libvirt's mode (host-passthrough, host-model, maximum, custom) and the named model, either null when absent.</summary>
public sealed record DomainCpu(string? Mode, string? Model)
{
    /// <summary>No &lt;cpu&gt; element: the hypervisor's default CPU.</summary>
    public static DomainCpu None { get; } = new(null, null);
}

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

/// <summary>
/// What HeadlessVm keeps in its own metadata element: when it created the domain, the port forwards to add after each
/// start, and whether it generated the MAC (<see cref="VmSpec.MacAddressGenerated"/>; false when the element does not say);
/// the VM's cloud-init data (<see cref="CloudInit"/>, what the folder store keeps in vm.json) and the path on the host of the
/// seed volume made from it (<see cref="CloudInitSeed"/>), both null for a VM without cloud-init.
/// </summary>
public sealed record HeadlessVmDomainMetadata(
    DateTimeOffset? Created,
    IReadOnlyList<PortForward> PortForwards,
    bool MacAddressGenerated = false,
    CloudInitConfig? CloudInit = null,
    string? CloudInitSeed = null);

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
    /// <summary>The guest architecture, kernel boot and boot devices.</summary>
    public DomainOs Os { get; init; } = DomainOs.None;

    /// <summary>The guest CPU's mode and model.</summary>
    public DomainCpu Cpu { get; init; } = DomainCpu.None;

    /// <summary>HeadlessVm when <see cref="Metadata"/> is present; External otherwise.</summary>
    public ManagedBy ManagedBy => Metadata is null ? ManagedBy.External : ManagedBy.HeadlessVm;

    /// <summary>The first VNC display, or null (a SPICE-only or headless domain).</summary>
    public DomainGraphics? Vnc => Graphics.FirstOrDefault(g => g.Type == "vnc");
}
