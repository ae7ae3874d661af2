namespace HeadlessVm.Core.Errors;

/// <summary>Checkpoint errors; their target is the VM (NotSupportedOnHost: the host).</summary>
public static partial class HeadlessVmErrors
{
    private const string SnapshotCapable = "Snapshots live inside qcow2 images: convert the disk (qemu-img convert -O qcow2), " +
        "or give the VM a qcow2 overlay of it (New-HeadlessVmDisk -Path NEW.qcow2 -BackingPath DISK).";

    /// <summary>Something this backend does not do yet; <paramref name="host"/> is the host's name, <paramref name="what"/> the operation ("checkpoints").</summary>
    public static HeadlessVmException NotSupportedOnHost(string host, string what) => new(ErrorIds.NotSupportedOnHost, FailureKind.NotImplemented, host,
        $"{what} are not supported on libvirt hosts yet (host '{host}'). They work on the VMs of the folder store (-ComputerName local).");

    public static HeadlessVmException InvalidSnapshotName(string name, string snapshot) => new(ErrorIds.InvalidSnapshotName, FailureKind.InvalidArgument, name,
        $"'{snapshot}' is not a snapshot name. Use 1 to 128 letters, digits, spaces, '.', '_', ':', '+' or '-', not starting with '-' or a space, " +
        "and not only digits (qemu would take those for a snapshot id).");

    public static HeadlessVmException SnapshotExists(string name, string snapshot) => new(ErrorIds.SnapshotExists, FailureKind.ResourceExists, name,
        $"VM '{name}' already has a snapshot named '{snapshot}'. Choose another -SnapshotName, or remove it first with Remove-HeadlessVmSnapshot.");

    public static HeadlessVmException SnapshotNotFound(string name, string snapshot) => new(ErrorIds.SnapshotNotFound, FailureKind.ObjectNotFound, name,
        $"VM '{name}' has no snapshot named '{snapshot}'. Get-HeadlessVmSnapshot {name} lists the ones it has.");

    public static HeadlessVmException NoSnapshotDisk(string name) => new(ErrorIds.NoSnapshotDisk, FailureKind.InvalidOperation, name,
        $"VM '{name}' has no disk, so there is nowhere to keep a snapshot. Give it a qcow2 disk (New-HeadlessVmDisk, then New-HeadlessVm -DiskPath).");

    /// <summary><paramref name="format"/> is what qemu-img finds in the file, or the format the VM tells qemu it has.</summary>
    public static HeadlessVmException DiskCannotSnapshot(string name, string disk, string format) => new(ErrorIds.DiskCannotSnapshot, FailureKind.InvalidOperation, name,
        $"VM '{name}': disk '{disk}' is {format}, which cannot hold snapshots. {SnapshotCapable}");

    /// <summary>The snapshot is not on every disk the VM has now (a disk was added or replaced since).</summary>
    public static HeadlessVmException SnapshotIncomplete(string name, string snapshot, string disk) => new(ErrorIds.SnapshotIncomplete, FailureKind.InvalidOperation, name,
        $"VM '{name}': snapshot '{snapshot}' is not on disk '{disk}' (the VM's disks changed since it was taken), so restoring it would mix states. " +
        "Give the VM back the disks it had, or remove the snapshot.");

    public static HeadlessVmException SnapshotWithoutMemory(string name, string snapshot) => new(ErrorIds.SnapshotWithoutMemory, FailureKind.InvalidOperation, name,
        $"VM '{name}' is running, and snapshot '{snapshot}' holds its disks only (it was taken while the VM was stopped): " +
        "the disks cannot change under a running guest. Stop the VM with Stop-HeadlessVm, then restore it.");

    /// <summary>A QMP snapshot job (snapshot-save, -load, -delete) ended with an error; <paramref name="reason"/> is qemu's own.</summary>
    public static HeadlessVmException SnapshotJobFailed(string name, string command, string snapshot, string reason) => new(ErrorIds.SnapshotJobFailed, FailureKind.InvalidOperation, name,
        $"qemu's {command} of snapshot '{snapshot}' for VM '{name}' failed: {reason}");

    public static HeadlessVmException SnapshotTimeout(string name, string command, string snapshot, TimeSpan waited) => new(ErrorIds.SnapshotTimeout, FailureKind.OperationTimeout, name,
        $"qemu's {command} of snapshot '{snapshot}' for VM '{name}' did not finish within {waited.TotalSeconds:0} s; it goes on in qemu. " +
        "Get-HeadlessVmSnapshot shows it once it is done.");

    /// <summary>qemu-img snapshot refused for one disk; <paramref name="reason"/> is its own message.</summary>
    public static NativeCommandException QemuImgSnapshotFailed(string name, string disk, FailureKind kind, string reason, string program, int exitCode, string standardError) =>
        new(ErrorIds.QemuImgSnapshotFailed, kind, name, $"qemu-img could not change the snapshots of '{disk}' (VM '{name}'): {reason}", program, exitCode, standardError);
}
