using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Qemu;

/// <summary>
/// qemu's block driver names for disk image files: stated by the user, else read from the file's content
/// (qemu-img info), with the extension only as a cross-check (and as the name of a file yet to be made).
/// </summary>
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
    /// The format to give qemu for an existing image: the one stated, else the one its content has, as
    /// <paramref name="contentFormat"/> (qemu-img info) reads it. A name that says otherwise gets a warning
    /// through <paramref name="warn"/>, as distributions ship qcow2 cloud images named .img. Content that
    /// is no known format (qemu-img calls it raw) is raw only when the name says so too: raw is never
    /// guessed, because an image whose guest wrote another format's header into it would be opened as
    /// that format (a guest reading host files through a backing file name). The format is decided once,
    /// when the VM is defined, and kept in its record, so a guest cannot change it later.
    /// </summary>
    /// <param name="remedy">What DiskFormatUnknown advises instead of -DiskFormat, where the caller has no such parameter.</param>
    public static string Resolve(string path, string? stated, Func<string, string> contentFormat, Action<string> warn, string? remedy = null)
    {
        if (!string.IsNullOrWhiteSpace(stated))
        {
            return Stated(path, stated);
        }

        var content = contentFormat(path);
        var named = FromExtension(path);
        if (content != "raw")
        {
            if (named is not null && named != content)
            {
                warn($"Disk '{path}' holds a {content} image, though its name says {named}; it is used as {content}. State -DiskFormat to override.");
            }

            return content;
        }

        return named == "raw" ? "raw" : throw HeadlessVmErrors.DiskFormatUnknown(path, named, remedy);
    }

    /// <summary>A format the user stated, as qemu names it (vhd is vpc); UnknownDiskFormat for one qemu does not know here.</summary>
    public static string Stated(string path, string stated)
    {
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
    }
}
