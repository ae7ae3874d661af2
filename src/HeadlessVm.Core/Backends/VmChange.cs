namespace HeadlessVm.Core.Backends;

/// <summary>
/// What Set-HeadlessVm changes in a VM, as the user gave it: null (or an absent list) leaves a setting as it is.
/// Paths are resolved against the caller's location already. <see cref="VmDraftValidator.Apply"/> turns it into the
/// VM's new <see cref="Model.VmSpec"/> with New-HeadlessVm's checks.
/// </summary>
public sealed record VmChange
{
    /// <summary>Memory in MiB.</summary>
    public int? MemoryMB { get; init; }

    public int? ProcessorCount { get; init; }

    /// <summary>qemu's CPU model; "(auto)" goes back to the accelerator's default.</summary>
    public string? Cpu { get; init; }

    public string? KernelArgument { get; init; }

    public string? BootOrder { get; init; }

    /// <summary>The VM's whole list of forwards from now on (each as PortForward.Parse reads it); empty for none.</summary>
    public IReadOnlyList<string>? PortForwards { get; init; }

    public string? MacAddress { get; init; }

    /// <summary>The ISO to insert; an empty text ejects the VM's ISO.</summary>
    public string? IsoPath { get; init; }

    /// <summary>Disks to attach after the VM's others (format from each image's content).</summary>
    public IReadOnlyList<string> AddDiskPaths { get; init; } = Array.Empty<string>();

    /// <summary>Disks to detach (the image files stay).</summary>
    public IReadOnlyList<string> RemoveDiskPaths { get; init; } = Array.Empty<string>();

    public int? VncDisplay { get; init; }

    /// <summary>
    /// New cloud-init data: what it names replaces the VM's (the rest stays), a new instance id makes cloud-init run
    /// again, and the seed is made anew. A VM without cloud-init gets it.
    /// </summary>
    public CloudInit.CloudInitDraft? CloudInit { get; init; }

    /// <summary>The VM's new name.</summary>
    public string? NewName { get; init; }

    /// <summary>True when it changes nothing at all.</summary>
    public bool IsEmpty => this == new VmChange();
}
