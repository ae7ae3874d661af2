using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Qemu;

/// <summary>qemu's block driver names for disk image files, inferred from their extension.</summary>
public static class DiskFormats
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".qcow2"] = "qcow2",
        [".vhd"] = "vpc",
        [".vpc"] = "vpc",
        [".vhdx"] = "vhdx",
        [".vmdk"] = "vmdk",
        [".img"] = "raw",
        [".raw"] = "raw",
    };

    public static readonly IReadOnlyList<string> Known = new[] { "qcow2", "raw", "vpc", "vhdx", "vmdk", "qed", "vdi" };

    /// <summary>The format for <paramref name="path"/>, or null when its extension does not say.</summary>
    public static string? FromExtension(string path) =>
        ByExtension.TryGetValue(Path.GetExtension(path), out var format) ? format : null;

    /// <summary>
    /// The format to give qemu: the one stated, else the one the extension implies. Never guesses raw,
    /// because qemu probing a raw image lets a guest rewrite its own header into another format.
    /// </summary>
    public static string Resolve(string path, string? stated)
    {
        if (!string.IsNullOrWhiteSpace(stated))
        {
            var format = stated.Trim().ToLowerInvariant();
            if (format == "vhd")
            {
                format = "vpc";
            }

            if (!Known.Contains(format))
            {
                throw HeadlessVmErrors.UnknownDiskFormat(path, stated, Known);
            }

            return format;
        }

        return FromExtension(path) ?? throw HeadlessVmErrors.DiskFormatUnknown(path);
    }
}
