using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>Storage pools and volumes (libvirt-storage.h).</summary>
internal static unsafe partial class StorageApi
{
    /// <summary><c>struct _virStorageVolInfo</c> (libvirt-storage.h): capacity and allocation in bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct VirStorageVolInfo
    {
        public int Type;
        public ulong Capacity;
        public ulong Allocation;
    }

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolLookupByPath(ConnectHandle conn, string path);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolLookupByName(StoragePoolHandle pool, string name);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolLookupByTargetPath(ConnectHandle conn, string path);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial StoragePoolHandle virStoragePoolLookupByVolume(StorageVolHandle vol);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStoragePoolRefresh(StoragePoolHandle pool, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStoragePoolIsActive(StoragePoolHandle pool);

    /// <summary>Returns a string owned by the pool object: never freed.</summary>
    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virStoragePoolGetName(StoragePoolHandle pool);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStoragePoolFree(IntPtr pool);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolCreateXML(StoragePoolHandle pool, string xml, uint flags);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolCreateXMLFrom(StoragePoolHandle pool, string xml, StorageVolHandle clonevol, uint flags);

    /// <summary>
    /// <c>int virStorageVolUpload(virStorageVolPtr vol, virStreamPtr stream, unsigned long long offset, unsigned long long length,
    /// unsigned int flags)</c> (libvirt-storage.h): the stream then carries <paramref name="length"/> bytes into the volume.
    /// </summary>
    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStorageVolUpload(StorageVolHandle vol, StreamHandle stream, ulong offset, ulong length, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStorageVolDelete(StorageVolHandle vol, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virStorageVolGetPath(StorageVolHandle vol);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virStorageVolGetXMLDesc(StorageVolHandle vol, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStorageVolGetInfo(StorageVolHandle vol, out VirStorageVolInfo info);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStorageVolFree(IntPtr vol);
}

/// <summary>A <c>virStoragePoolPtr</c> reference; releasing it calls <c>virStoragePoolFree</c>.</summary>
internal sealed class StoragePoolHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StoragePoolHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => StorageApi.virStoragePoolFree(handle) == 0;
}

/// <summary>A <c>virStorageVolPtr</c> reference; releasing it calls <c>virStorageVolFree</c>.</summary>
internal sealed class StorageVolHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StorageVolHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => StorageApi.virStorageVolFree(handle) == 0;
}
