using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>
/// Domain snapshots (include/libvirt/libvirt-domain-snapshot.h, libvirt 0.8.0+; virDomainListAllSnapshots 0.9.13+).
/// The flag values are the header's enums, which libvirt never renumbers.
/// </summary>
internal static unsafe partial class SnapshotApi
{
    /// <summary>virDomainSnapshotCreateFlags VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC: all disks or none, no partial changes.</summary>
    internal const uint CreateAtomic = 1 << 7;

    /// <summary>virDomainSnapshotCreateFlags VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE: check the XML against libvirt's schema.</summary>
    internal const uint CreateValidate = 1 << 9;

    /// <summary>virDomainSnapshotListFlags VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL: parents before children.</summary>
    internal const uint ListTopological = 1 << 10;

    /// <summary>virDomainSnapshotRevertFlags VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING: run the guest after the revert.</summary>
    internal const uint RevertRunning = 1 << 0;

    /// <summary>virDomainSnapshotRevertFlags VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED: leave the guest's CPUs stopped after the revert.</summary>
    internal const uint RevertPaused = 1 << 1;

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SnapshotHandle virDomainSnapshotCreateXML(DomainHandle domain, string xml, uint flags);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SnapshotHandle virDomainSnapshotLookupByName(DomainHandle domain, string name, uint flags);

    /// <summary>Fills <paramref name="snapshots"/> with an array the caller frees (C free) and references the caller frees one by one.</summary>
    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainListAllSnapshots(DomainHandle domain, out IntPtr* snapshots, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virDomainSnapshotGetXMLDesc(IntPtr snapshot, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainRevertToSnapshot(SnapshotHandle snapshot, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainSnapshotDelete(SnapshotHandle snapshot, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainSnapshotFree(IntPtr snapshot);
}

/// <summary>A <c>virDomainSnapshotPtr</c>; releasing it calls <c>virDomainSnapshotFree</c>.</summary>
internal sealed class SnapshotHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SnapshotHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of a reference libvirt handed out in an array (virDomainListAllSnapshots).</summary>
    internal SnapshotHandle(IntPtr existing)
        : base(ownsHandle: true)
    {
        SetHandle(existing);
    }

    protected override bool ReleaseHandle() => SnapshotApi.virDomainSnapshotFree(handle) == 0;
}
