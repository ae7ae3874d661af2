using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// What <see cref="DomainXml.Build"/> turns into a libvirt domain: the same facts New-HeadlessVm takes, already
/// validated and resolved (accelerator chosen, disk formats known, a password drawn). Paths are paths on the
/// target host: nothing here is resolved locally.
/// </summary>
public sealed record LibvirtDomainSpec
{
    /// <summary>The domain name (libvirt forbids '/').</summary>
    public required string Name { get; init; }

    /// <summary>The domain's UUID; a fresh one for each new domain, so a name clash is never a silent redefine.</summary>
    public required Guid Uuid { get; init; }

    /// <summary>The guest architecture (qemu-system-ARCH); x86_64 by default.</summary>
    public string Architecture { get; init; } = "x86_64";

    /// <summary>Guest memory in MiB.</summary>
    public int MemoryMiB { get; init; } = 1024;

    /// <summary>Virtual CPUs.</summary>
    public int ProcessorCount { get; init; } = 1;

    /// <summary>A CPU model ("host", "max" or a named model such as "Skylake-Client"); null: host-passthrough under KVM, maximum under TCG.</summary>
    public string? CpuModel { get; init; }

    /// <summary><see cref="AcceleratorKind.Kvm"/> (domain type kvm) or <see cref="AcceleratorKind.Tcg"/> (domain type qemu); Auto is refused.</summary>
    public AcceleratorKind Accelerator { get; init; } = AcceleratorKind.Tcg;

    /// <summary>An ISO attached as a read-only SATA CD-ROM, or null.</summary>
    public string? IsoPath { get; init; }

    /// <summary>Disk images on virtio (vda, vdb, ...), each with its qemu format (qcow2, raw, ...).</summary>
    public IReadOnlyList<DiskSpec> Disks { get; init; } = Array.Empty<DiskSpec>();

    /// <summary>A kernel for direct boot, or null.</summary>
    public string? KernelPath { get; init; }

    /// <summary>An initrd for direct boot (only with <see cref="KernelPath"/>).</summary>
    public string? InitrdPath { get; init; }

    /// <summary>The kernel command line (only with <see cref="KernelPath"/>).</summary>
    public string? KernelArguments { get; init; }

    /// <summary>qemu's boot letters (a/b floppy, c disk, d CD-ROM, n network) in order; null lets the builder choose.</summary>
    public string? BootOrder { get; init; }

    /// <summary>User-mode networking (one virtio NIC) or none.</summary>
    public NetworkMode Network { get; init; } = NetworkMode.User;

    /// <summary>The NIC's MAC address, or null for libvirt's choice.</summary>
    public string? MacAddress { get; init; }

    /// <summary>True when HeadlessVm generated <see cref="MacAddress"/>; kept in its metadata (<see cref="VmSpec.MacAddressGenerated"/>).</summary>
    public bool MacAddressGenerated { get; init; }

    /// <summary>Host ports forwarded into the guest; kept in the metadata and added after each start (see <see cref="HostForwardCommands"/>).</summary>
    public IReadOnlyList<PortForward> PortForwards { get; init; } = Array.Empty<PortForward>();

    /// <summary>The VNC password (QEMU uses its first 8 characters); libvirt sets it over QMP, never on qemu's argv.</summary>
    public required string VncPassword { get; init; }

    /// <summary>The address VNC listens on; loopback by default.</summary>
    public string VncListenAddress { get; init; } = "127.0.0.1";

    /// <summary>A fixed VNC TCP port, or null for libvirt's choice (autoport, from 5900 up).</summary>
    public int? VncPort { get; init; }

    /// <summary>Arguments added to qemu's command line through &lt;qemu:commandline&gt; (the domain is then tainted).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = Array.Empty<string>();

    /// <summary>A file on the target host that receives the serial console's output of each boot (truncated at each start), or null.</summary>
    public string? SerialLogPath { get; init; }

    /// <summary>The VM's cloud-init data, recorded in the metadata (null: none).</summary>
    public CloudInitConfig? CloudInit { get; init; }

    /// <summary>
    /// The seed volume made from <see cref="CloudInit"/> (a path on the host), attached as a second read-only SATA CD-ROM
    /// (<see cref="DomainXml.CloudInitTarget"/>) and recorded in the metadata; null for none.
    /// </summary>
    public string? CloudInitSeedPath { get; init; }

    /// <summary>When the VM was created, recorded in the metadata.</summary>
    public DateTimeOffset Created { get; init; } = DateTimeOffset.Now;
}
