using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// Checkpoints, changes and copies of libvirt domains are not built yet (they would go through virDomainSnapshotCreateXML and
/// friends, and virDomainDefineXML of the changed or copied XML): each is NotSupportedOnHost with the host as target, before
/// anything is asked of libvirt.
/// </summary>
public sealed partial class LibvirtBackend
{
    private const string CheckpointsWhat = "Checkpoints (Checkpoint-HeadlessVm and the *-HeadlessVmSnapshot cmdlets)";

    public IReadOnlyList<VmSnapshot> GetSnapshots(string name, CancellationToken cancellationToken) => throw NoCheckpoints();

    public VmSnapshot Checkpoint(string name, string? snapshotName, string? description, CancellationToken cancellationToken) => throw NoCheckpoints();

    public VmSnapshot RestoreSnapshot(string name, string snapshotName, CancellationToken cancellationToken) => throw NoCheckpoints();

    public VmSnapshot RemoveSnapshot(string name, string snapshotName, CancellationToken cancellationToken) => throw NoCheckpoints();

    private HeadlessVmException NoCheckpoints() => HeadlessVmErrors.NotSupportedOnHost(Location.ComputerName, CheckpointsWhat);
}
