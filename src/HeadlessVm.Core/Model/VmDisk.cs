namespace HeadlessVm.Core.Model;

/// <summary>A disk image as <c>qemu-img info</c> reports it. Sizes are in bytes.</summary>
public sealed record VmDisk
{
    /// <summary>The image file, as an absolute path.</summary>
    public required string Path { get; init; }

    /// <summary>qemu's block driver name: qcow2, raw, vpc (VHD), vhdx, vmdk...</summary>
    public required string Format { get; init; }

    /// <summary>The size the guest sees.</summary>
    public long VirtualSize { get; init; }

    /// <summary>The space the file takes on the host (sparse files and unallocated clusters take none).</summary>
    public long? ActualSize { get; init; }

    /// <summary>The image this one is a linked clone of, resolved to a full path; null when it stands alone.</summary>
    public string? BackingPath { get; init; }

    public string? BackingFormat { get; init; }

    /// <summary>The image was not closed cleanly (qemu-img's dirty flag).</summary>
    public bool Dirty { get; init; }

    /// <summary>qcow2's corrupt flag; null for formats that have none.</summary>
    public bool? Corrupt { get; init; }

    public long? ClusterSize { get; init; }

    public bool Encrypted { get; init; }

    /// <summary>The format's own version, such as qcow2 compat "1.1"; null when the format reports none.</summary>
    public string? Compat { get; init; }

    public double VirtualSizeGB => Math.Round(VirtualSize / (double)QemuImgSizes.GiB, 3);

    public override string ToString() => Path;
}

internal static class QemuImgSizes
{
    public const long GiB = 1024L * 1024 * 1024;
}
