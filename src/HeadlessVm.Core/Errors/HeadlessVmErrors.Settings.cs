namespace HeadlessVm.Core.Errors;

/// <summary>Errors of changing and copying a VM (Set-HeadlessVm, Copy-HeadlessVm); their target is the VM.</summary>
public static partial class HeadlessVmErrors
{
    /// <summary>
    /// A running VM refused a change that needs it stopped; <paramref name="settings"/> names the settings that differ
    /// ("MemoryMB, ProcessorCount", from <see cref="Backends.VmDraftValidator.NeedStop"/>). A change of the name alone is Rename-HeadlessVm's (or Set -NewName's)
    /// and says only that; with other settings it also says what a running VM takes (Set-HeadlessVm's live changes).
    /// </summary>
    public static HeadlessVmException VmMustBeStopped(string name, string settings) => new(ErrorIds.VmMustBeStopped, FailureKind.InvalidOperation, name,
        settings == RenameSetting
            ? $"VM '{name}' is running, and renaming it needs it stopped: nothing was changed. Stop it with Stop-HeadlessVm first."
            : $"VM '{name}' is running, and changing {settings} needs it stopped: nothing was changed. Stop it with Stop-HeadlessVm first. " +
              "A running VM takes a new -PortForward list, and a new or no -IsoPath when it started with an ISO.");

    /// <summary>
    /// Copy-HeadlessVm of a running VM: its disks are being written, so a copy would be torn. <paramref name="checkpointsWork"/>
    /// says whether a full copy from one of its checkpoints (-SnapshotName) would do instead (the folder store).
    /// </summary>
    public static HeadlessVmException VmMustBeStoppedToCopy(string name, bool linked, bool checkpointsWork) => new(ErrorIds.VmMustBeStopped, FailureKind.InvalidOperation, name,
        $"VM '{name}' is running, and {(linked ? "a linked copy (overlays on its disks)" : "a copy of its disks")} needs it stopped, " +
        "as the guest is writing them: nothing was copied. Stop it with Stop-HeadlessVm first" +
        (checkpointsWork ? (linked ? ", or make a full copy of one of its checkpoints (Copy-HeadlessVm -SnapshotName, without -Linked)." : ", or copy one of its checkpoints (-SnapshotName).") : "."));

    /// <summary>What <see cref="Backends.VmDraftValidator.NeedStop"/> calls a change of the name.</summary>
    internal const string RenameSetting = "the name";

    public static HeadlessVmException DiskNotAttached(string name, string path) => new(ErrorIds.DiskNotAttached, FailureKind.ObjectNotFound, name,
        $"VM '{name}' has no disk '{path}' to remove. Get-HeadlessVm {name} | Select-Object -ExpandProperty DiskPath lists its disks.");

    public static HeadlessVmException DiskAlreadyAttached(string name, string path) => new(ErrorIds.DiskAlreadyAttached, FailureKind.ResourceExists, name,
        $"VM '{name}' has disk '{path}' already.");

    /// <summary>qemu refused to eject or insert the VM's CD-ROM medium; <paramref name="reason"/> is its own answer.</summary>
    public static HeadlessVmException MediumChangeFailed(string name, string? iso, string reason) => new(ErrorIds.MediumChangeFailed, FailureKind.InvalidOperation, name,
        (iso is null ? $"qemu could not eject the ISO of VM '{name}': " : $"qemu could not insert '{iso}' into VM '{name}': ") + reason);

    /// <summary>Copy-HeadlessVm -DiskFolder names no folder (nothing there, or a file); checked before any disk is made.</summary>
    public static HeadlessVmException CopyDiskFolderNotFound(string name, string folder, bool isFile) => new(ErrorIds.CopyDiskFolderNotFound, FailureKind.ObjectNotFound, name,
        $"Copying VM '{name}' would put its disks in '{folder}', which {(isFile ? "is a file, not a folder" : "does not exist")}: nothing was copied. " +
        "Give an existing folder as -DiskFolder (New-Item -ItemType Directory makes one), or leave it out to put each disk beside its source.");

    /// <summary>A disk a copy would make is there already; <paramref name="name"/> is the VM being copied.</summary>
    public static HeadlessVmException CopyDiskExists(string name, string path) => new(ErrorIds.CopyDiskExists, FailureKind.ResourceExists, name,
        $"Copying VM '{name}' would make disk '{path}', which exists already. Remove it, or give the copy another -NewName or -DiskFolder.");

    /// <summary>qemu-img convert refused to copy <paramref name="disk"/> of VM <paramref name="name"/>; <paramref name="reason"/> is its own message.</summary>
    public static NativeCommandException QemuImgConvertFailed(string name, string disk, FailureKind kind, string reason, string program, int exitCode, string standardError) =>
        new(ErrorIds.QemuImgConvertFailed, kind, name, $"qemu-img could not copy disk '{disk}' of VM '{name}': {reason}", program, exitCode, standardError);

    /// <summary>
    /// A copy of a VM on a libvirt host needs <paramref name="path"/> (a disk of VM <paramref name="name"/>, or with
    /// <paramref name="isFolder"/> the folder the copy's disks go to) in an active storage pool: libvirt copies volumes of
    /// pools, on whichever host they are (virStorageVolCreateXMLFrom).
    /// </summary>
    public static HeadlessVmException DiskNotInStoragePool(string name, string path, string host, bool isFolder) => new(ErrorIds.DiskNotInStoragePool, FailureKind.ObjectNotFound, name,
        (isFolder
            ? $"Folder '{path}' on {host} is no active storage pool's folder, so the disks of the copy of VM '{name}' cannot be made there. "
            : $"Disk '{path}' of VM '{name}' is in no active storage pool on {host}, and libvirt copies only the volumes of a pool. ") +
        $"Make its folder a pool on that host (virsh pool-define-as NAME dir --target {(isFolder ? path : Path.GetDirectoryName(path))}; virsh pool-start NAME), then copy again. Nothing was copied.");
}
