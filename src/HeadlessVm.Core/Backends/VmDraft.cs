using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Backends;

/// <summary>
/// A VM as a user asks for it, before any check: New-HeadlessVm's parameters or a CSV row, with paths
/// already resolved against the caller's current location. Empty text means "not given".
/// <see cref="VmDraftValidator.ToSpec"/> turns it into a <see cref="VmSpec"/>.
/// </summary>
public sealed record VmDraft
{
    public required string Name { get; init; }
    public int MemoryMB { get; init; } = 1024;
    public int ProcessorCount { get; init; } = 1;
    public string? Cpu { get; init; }
    public string? Architecture { get; init; }
    public AcceleratorKind Accelerator { get; init; } = AcceleratorKind.Auto;
    public string? IsoPath { get; init; }

    /// <summary>Disk image paths, in the order the guest sees them.</summary>
    public IReadOnlyList<string> DiskPaths { get; init; } = Array.Empty<string>();

    /// <summary>One format for every disk, or one per disk; none to take each from its extension.</summary>
    public IReadOnlyList<string> DiskFormats { get; init; } = Array.Empty<string>();

    public string? KernelPath { get; init; }
    public string? InitrdPath { get; init; }
    public string? KernelArgument { get; init; }
    public string? BootOrder { get; init; }
    public string ListenAddress { get; init; } = "127.0.0.1";
    public NetworkMode Network { get; init; } = NetworkMode.User;

    /// <summary>"HOSTPORT:GUESTPORT" or "ADDRESS:HOSTPORT:GUESTPORT" each.</summary>
    public IReadOnlyList<string> PortForwards { get; init; } = Array.Empty<string>();

    public string? MacAddress { get; init; }
    public IReadOnlyList<string> ExtraArguments { get; init; } = Array.Empty<string>();
}
