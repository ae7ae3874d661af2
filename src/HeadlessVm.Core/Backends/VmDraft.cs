using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Backends;

/// <summary>
/// A VM as a user asks for it, before any check: New-HeadlessVm's parameters or a CSV row, with paths
/// already resolved against the caller's current location. Null and empty text mean "not given" (the
/// default applies), so that an empty CSV cell is the same as a missing column.
/// <see cref="VmDraftValidator.ToSpec"/> turns it into a <see cref="VmSpec"/>.
/// </summary>
public sealed record VmDraft
{
    public const int DefaultMemoryMB = 1024;

    public required string Name { get; init; }

    /// <summary>Memory in MiB; <see cref="DefaultMemoryMB"/> when null.</summary>
    public int? MemoryMB { get; init; }

    /// <summary>Virtual CPUs; 1 when null.</summary>
    public int? ProcessorCount { get; init; }

    /// <summary>qemu's CPU model; null, empty or "(auto)" (how VmInfo prints the default) for the accelerator's default.</summary>
    public string? Cpu { get; init; }

    public string? Architecture { get; init; }

    /// <summary>Auto when null.</summary>
    public AcceleratorKind? Accelerator { get; init; }

    public string? IsoPath { get; init; }

    /// <summary>Disk image paths, in the order the guest sees them.</summary>
    public IReadOnlyList<string> DiskPaths { get; init; } = Array.Empty<string>();

    /// <summary>One format for every disk, or one per disk; none to take each from its content (qemu-img info).</summary>
    public IReadOnlyList<string> DiskFormats { get; init; } = Array.Empty<string>();

    public string? KernelPath { get; init; }
    public string? InitrdPath { get; init; }
    public string? KernelArgument { get; init; }
    public string? BootOrder { get; init; }

    /// <summary>Where qemu's VNC server listens; 127.0.0.1 when null or empty.</summary>
    public string? ListenAddress { get; init; }

    /// <summary>User when null.</summary>
    public NetworkMode? Network { get; init; }

    /// <summary>Each in any form <see cref="PortForward.Parse"/> reads ("2222:22", "0.0.0.0:2222:22", "127.0.0.1:2222->22").</summary>
    public IReadOnlyList<string> PortForwards { get; init; } = Array.Empty<string>();

    public string? MacAddress { get; init; }
    public IReadOnlyList<string> ExtraArguments { get; init; } = Array.Empty<string>();

    /// <summary>cloud-init first-boot data (-CloudInit and its parameters); none when null.</summary>
    public CloudInit.CloudInitDraft? CloudInit { get; init; }
}
