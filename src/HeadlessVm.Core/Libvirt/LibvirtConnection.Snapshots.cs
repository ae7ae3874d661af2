using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>How a domain is left after <see cref="LibvirtConnection.RevertToSnapshot"/>.</summary>
public enum SnapshotRevertMode
{
    /// <summary>As the snapshot was taken (flags 0): running or paused for a snapshot with memory, shut off for one of disks only.</summary>
    AsTaken,

    /// <summary>Running (VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING).</summary>
    Running,

    /// <summary>With its CPUs stopped (VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED).</summary>
    Paused,
}

/// <summary>
/// Domain snapshots through libvirt's own API (include/libvirt/libvirt-domain-snapshot.h; the XML is
/// docs/formatsnapshot.rst). Snapshots are named within their domain; every failure is a <see cref="LibvirtException"/>
/// with the domain as target (a missing snapshot is SnapshotNotFound, VIR_ERR_NO_DOMAIN_SNAPSHOT).
/// These calls block until libvirt is done: a snapshot of a running domain writes the guest's memory first.
/// </summary>
public sealed partial class LibvirtConnection
{
    /// <summary>
    /// The XML of each of the domain's snapshots (virDomainListAllSnapshots with VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL, so a
    /// parent comes before its children, then virDomainSnapshotGetXMLDesc of each): &lt;domainsnapshot&gt; with name,
    /// description, state, creationTime, memory, disks and the domain's XML as it was. Throws <c>LibvirtDomainNotFound</c> and others.
    /// </summary>
    public unsafe IReadOnlyList<string> ListSnapshots(string name)
    {
        using var domain = Lookup(name);
        var count = SnapshotApi.virDomainListAllSnapshots(domain, out var array, SnapshotApi.ListTopological);
        if (count < 0)
        {
            throw LibvirtErrors.FromLastError(name, LibvirtCall.Snapshot);
        }

        // Each reference is owned (virDomainSnapshotFree), and so is the array (C free), whatever happens on the way.
        var handles = new SnapshotHandle[count];
        for (var i = 0; i < count; i++)
        {
            handles[i] = new SnapshotHandle(array[i]);
        }

        System.Runtime.InteropServices.NativeMemory.Free(array);
        try
        {
            return handles.Select(h => NativeStrings.Take(SnapshotApi.virDomainSnapshotGetXMLDesc(h.DangerousGetHandle(), 0))
                ?? throw LibvirtErrors.FromLastError(name, LibvirtCall.Snapshot)).ToArray();
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>The XML of the domain's snapshot <paramref name="snapshot"/> (virDomainSnapshotLookupByName), or null when it has none of that name.</summary>
    public string? FindSnapshot(string name, string snapshot)
    {
        using var domain = Lookup(name);
        using var handle = SnapshotApi.virDomainSnapshotLookupByName(domain, snapshot, 0);
        if (handle.IsInvalid)
        {
            var error = LibvirtErrors.FromLastError(name, LibvirtCall.Snapshot);
            return error.ErrorId == ErrorIds.SnapshotNotFound ? null : throw error;
        }

        return NativeStrings.Take(SnapshotApi.virDomainSnapshotGetXMLDesc(handle.DangerousGetHandle(), 0))
            ?? throw LibvirtErrors.FromLastError(name, LibvirtCall.Snapshot);
    }

    /// <summary>
    /// Takes a snapshot described by <paramref name="xml"/> (a &lt;domainsnapshot&gt;) with virDomainSnapshotCreateXML and
    /// VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC (all disks or none). Without further flags libvirt's QEMU driver makes internal
    /// snapshots of qcow2 disks, with the memory and devices of a running domain (its CPUs stop while they are written)
    /// and the disks alone of a stopped one (qemu-img). Blocks until done; libvirt finishes the job even when the caller
    /// stops waiting or goes away. Throws <c>SnapshotExists</c>, <c>DiskCannotSnapshot</c>, <c>DomainStateInvalid</c> and others.
    /// </summary>
    public void CreateSnapshot(string name, string xml)
    {
        using var domain = Lookup(name);
        using var handle = SnapshotApi.virDomainSnapshotCreateXML(domain, xml, SnapshotApi.CreateAtomic);
        if (handle.IsInvalid)
        {
            throw LibvirtErrors.FromLastError(name, LibvirtCall.Snapshot);
        }
    }

    /// <summary>
    /// Puts the domain back to snapshot <paramref name="snapshot"/> (virDomainRevertToSnapshot): its disks, its definition as
    /// it was then and, for a snapshot with memory, the guest where it was (a running domain loads it in its own qemu; a stopped
    /// one is started from it). <paramref name="mode"/> says how it is left. Blocks until done. Throws <c>SnapshotNotFound</c>.
    /// </summary>
    public void RevertToSnapshot(string name, string snapshot, SnapshotRevertMode mode)
    {
        using var domain = Lookup(name);
        using var handle = LookupSnapshot(domain, name, snapshot);
        var flags = mode switch
        {
            SnapshotRevertMode.Running => SnapshotApi.RevertRunning,
            SnapshotRevertMode.Paused => SnapshotApi.RevertPaused,
            _ => 0u,
        };
        Check(SnapshotApi.virDomainRevertToSnapshot(handle, flags), name, LibvirtCall.Snapshot);
    }

    /// <summary>
    /// Deletes snapshot <paramref name="snapshot"/> (virDomainSnapshotDelete, flags 0: its data in the disks and its metadata;
    /// its children, if any, become children of its parent). Blocks until done. Throws <c>SnapshotNotFound</c>.
    /// </summary>
    public void DeleteSnapshot(string name, string snapshot)
    {
        using var domain = Lookup(name);
        using var handle = LookupSnapshot(domain, name, snapshot);
        Check(SnapshotApi.virDomainSnapshotDelete(handle, 0), name, LibvirtCall.Snapshot);
    }

    private static SnapshotHandle LookupSnapshot(DomainHandle domain, string name, string snapshot)
    {
        var handle = SnapshotApi.virDomainSnapshotLookupByName(domain, snapshot, 0);
        if (handle.IsInvalid)
        {
            var error = LibvirtErrors.FromLastError(name, LibvirtCall.Snapshot);
            handle.Dispose();
            throw error;
        }

        return handle;
    }
}
