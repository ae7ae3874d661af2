namespace HeadlessVm.Core.Errors;

/// <summary>Disk image errors (qemu-img); their target is the image's full path.</summary>
public static partial class HeadlessVmErrors
{
    public static HeadlessVmException DiskNotFound(string path, bool isFolder) => new(ErrorIds.DiskNotFound, FailureKind.ObjectNotFound, path,
        isFolder ? $"'{path}' is a folder, not a disk image." : $"Disk image '{path}' does not exist.");

    public static HeadlessVmException DiskExists(string path) => new(ErrorIds.DiskExists, FailureKind.ResourceExists, path,
        $"'{path}' already exists. Use -Force to overwrite it (its contents are lost).");

    public static HeadlessVmException DiskSizeRequired(string path) => new(ErrorIds.DiskSizeRequired, FailureKind.InvalidArgument, path,
        $"Give a size for the new disk '{path}' (-SizeGB), or a -BackingPath whose size it takes.");

    /// <summary><paramref name="size"/> as the user gave it, with its unit ("-1 bytes", "1E+30 GB").</summary>
    public static HeadlessVmException InvalidDiskSize(string path, string size) => new(ErrorIds.InvalidDiskSize, FailureKind.InvalidArgument, path,
        $"A disk image cannot have a size of {size}: give more than 0, up to what a 64-bit byte count holds.");

    public static HeadlessVmException DiskIsOwnBacking(string path) => new(ErrorIds.DiskIsOwnBacking, FailureKind.InvalidArgument, path,
        $"'{path}' cannot be its own backing file.");

    /// <summary>qemu-img create refused; <paramref name="reason"/> is its own message.</summary>
    public static NativeCommandException QemuImgCreateFailed(string path, FailureKind kind, string reason, string program, int exitCode, string standardError) =>
        new(ErrorIds.QemuImgCreateFailed, kind, path, $"qemu-img could not create '{path}': {reason}", program, exitCode, standardError);

    /// <summary>qemu-img info refused; <paramref name="reason"/> is its own message.</summary>
    public static NativeCommandException QemuImgInfoFailed(string path, FailureKind kind, string reason, string program, int exitCode, string standardError) =>
        new(ErrorIds.QemuImgInfoFailed, kind, path, $"qemu-img could not read '{path}': {reason}", program, exitCode, standardError);

    public static HeadlessVmException QemuImgOutputUnreadable(string path, Exception inner) => new(ErrorIds.QemuImgOutputUnreadable, FailureKind.InvalidOperation, path,
        $"qemu-img info printed something that is not its JSON for '{path}': {inner.Message}", inner);
}
