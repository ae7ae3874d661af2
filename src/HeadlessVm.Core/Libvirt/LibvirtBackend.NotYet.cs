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
    public VmInfo Set(string name, VmChange change, CancellationToken cancellationToken) =>
        throw HeadlessVmErrors.NotSupportedOnHost(Location.ComputerName, "Changes of VMs (Set-HeadlessVm)");

    public VmInfo Copy(string name, string newName, bool linked, string? snapshotName, string? diskFolder, CancellationToken cancellationToken) =>
        throw HeadlessVmErrors.NotSupportedOnHost(Location.ComputerName, "Copies of VMs (Copy-HeadlessVm)");
}
