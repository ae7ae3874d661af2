using System.Text.Json.Serialization;

namespace HeadlessVm.Core.Model;

/// <summary>
/// What a VM is, as written to its vm.json: everything needed to start it again from any process.
/// Runtime facts (PID, state) are never stored here; they are read from the system each time.
/// </summary>
public sealed record VmSpec
{
    public required string Name { get; init; }
    public string Architecture { get; init; } = "x86_64";
    public int MemoryMB { get; init; } = 1024;
    public int ProcessorCount { get; init; } = 1;

    /// <summary>The CPU model; null means "host" under KVM and "max" under TCG, decided at each start.</summary>
    public string? Cpu { get; init; }

    public AcceleratorKind Accelerator { get; init; } = AcceleratorKind.Auto;
    public string? IsoPath { get; init; }
    public IReadOnlyList<DiskSpec> Disks { get; init; } = Array.Empty<DiskSpec>();
    public string? KernelPath { get; init; }
    public string? InitrdPath { get; init; }
    public string? KernelArgument { get; init; }

    /// <summary>qemu's -boot order letters (c disk, d cdrom, n network); null lets the module choose.</summary>
    public string? BootOrder { get; init; }

    public int VncDisplay { get; init; }

    /// <summary>
    /// True when the module picked <see cref="VncDisplay"/> (New-HeadlessVm without -VncDisplay): a start that
    /// finds its port taken by another program then picks another free display and records it. False when the
    /// user chose it, and for records written before this field existed (vm.json without "VncDisplayPicked"):
    /// a display someone may have pointed a VNC client at is never moved without being asked, so such a start
    /// fails with VncPortInUse as it always did.
    /// </summary>
    public bool VncDisplayPicked { get; init; }

    public string ListenAddress { get; init; } = "127.0.0.1";
    public NetworkMode Network { get; init; } = NetworkMode.User;
    public IReadOnlyList<PortForward> PortForwards { get; init; } = Array.Empty<PortForward>();
    public string? MacAddress { get; init; }

    /// <summary>
    /// True when the module generated <see cref="MacAddress"/> (New-HeadlessVm or Copy-HeadlessVm without -MacAddress,
    /// on a user-mode network): a VM recreated from this one's record (an exported lab) gets a MAC of its own. False
    /// when the user gave it (New-/Set-HeadlessVm -MacAddress): a recreated VM asks for the same MAC. Records written
    /// before this field existed (vm.json without "MacAddressGenerated") read as false, as for <see cref="VncDisplayPicked"/>.
    /// </summary>
    public bool MacAddressGenerated { get; init; }
    public IReadOnlyList<string> ExtraArguments { get; init; } = Array.Empty<string>();

    /// <summary>cloud-init's first-boot data; the VM gets its seed image (StatePaths.VmFiles.CloudInitSeed) as a CD-ROM. Null for none.</summary>
    public CloudInitConfig? CloudInit { get; init; }
    public DateTimeOffset Created { get; init; } = DateTimeOffset.Now;

    /// <summary>VNC display N listens on TCP port 5900 + N (RFC 6143, 4).</summary>
    public const int VncBasePort = 5900;

    [JsonIgnore]
    public int VncPort => VncBasePort + VncDisplay;
}
