using System.Globalization;
using System.Xml.Linq;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// A storage volume: its <see cref="Path"/> on the libvirt host, the <see cref="Pool"/> that holds it, its
/// <see cref="Format"/> (qcow2, raw, ... as libvirt read it) and <see cref="CapacityBytes"/> (the guest's size of it).
/// </summary>
public sealed record LibvirtVolume(string Path, string Pool, string Format, ulong CapacityBytes);

/// <summary>
/// Storage pools and volumes (libvirt-storage.h, docs/formatstorage.rst): how disks are found, copied and deleted on
/// the libvirt host, whether that host is this machine or another. Only files in a pool are reachable this way; a
/// pool of type dir holds the files of one folder (its target path). A volume or pool that is gone when a copy is made
/// is DiskNotInStoragePool (target: the <c>target</c> argument, the VM being copied); libvirt's own failures keep their ids.
/// </summary>
public sealed partial class LibvirtConnection
{
    // virErrorNumber (virterror.h): VIR_ERR_NO_STORAGE_POOL, VIR_ERR_NO_STORAGE_VOL.
    private const int NoStoragePool = 49;
    private const int NoStorageVol = 50;

    /// <summary>
    /// The volume at <paramref name="path"/> (virStorageVolLookupByPath), or null when no active pool holds it. A file
    /// put in a pool's folder since the pool last looked is found too: the pool whose target is the file's folder is
    /// refreshed (virStoragePoolRefresh) and asked again. <paramref name="target"/> is the target of other errors.
    /// </summary>
    public LibvirtVolume? FindVolume(string path, string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using (var volume = LookupVolume(path, target))
        {
            if (volume is not null)
            {
                return Describe(volume, target);
            }
        }

        using (var pool = LookupPool(System.IO.Path.GetDirectoryName(path) ?? "/", target))
        {
            if (pool is null || StorageApi.virStoragePoolIsActive(pool) != 1)
            {
                return null;
            }

            Check(StorageApi.virStoragePoolRefresh(pool, 0), target);
        }

        using var found = LookupVolume(path, target);
        return found is null ? null : Describe(found, target);
    }

    /// <summary>
    /// The name of the active pool whose target path is <paramref name="folder"/> (virStoragePoolLookupByTargetPath), refreshed
    /// so that its list of volumes is the folder's; null when no active pool has that folder.
    /// </summary>
    public string? FindPool(string folder, string target)
    {
        using var pool = LookupPool(folder, target);
        if (pool is null || StorageApi.virStoragePoolIsActive(pool) != 1)
        {
            return null;
        }

        Check(StorageApi.virStoragePoolRefresh(pool, 0), target);
        return NativeStrings.Borrow(StorageApi.virStoragePoolGetName(pool));
    }

    /// <summary>
    /// Makes volume <paramref name="name"/> in the pool of <paramref name="folder"/>, a full copy of the volume at
    /// <paramref name="sourcePath"/> in <paramref name="format"/> (virStorageVolCreateXMLFrom; libvirt copies the data on its
    /// host, with qemu-img for image formats). libvirt deletes a volume whose copy fails. Returns the new volume's path.
    /// </summary>
    public string CopyVolume(string sourcePath, string folder, string name, string format, string target)
    {
        using var source = LookupVolume(sourcePath, target) ?? throw NoVolume(sourcePath, target, isFolder: false);
        using var pool = LookupPool(folder, target) ?? throw NoVolume(folder, target, isFolder: true);
        var capacity = Info(source, target).Capacity;
        using var made = StorageApi.virStorageVolCreateXMLFrom(pool, VolumeXml(name, format, capacity, null), source, 0);
        return PathOf(made, target);
    }

    /// <summary>
    /// Makes volume <paramref name="name"/> in the pool of <paramref name="folder"/>: a qcow2 overlay whose backing store is
    /// the volume at <paramref name="backingPath"/> (of <paramref name="backingFormat"/>), with its capacity (virStorageVolCreateXML
    /// with a &lt;backingStore&gt;, docs/formatstorage.rst "Backing store elements"). The backing file is only read. Returns its path.
    /// </summary>
    public string CreateOverlay(string backingPath, string backingFormat, string folder, string name, string target)
    {
        using var backing = LookupVolume(backingPath, target) ?? throw NoVolume(backingPath, target, isFolder: false);
        using var pool = LookupPool(folder, target) ?? throw NoVolume(folder, target, isFolder: true);
        var capacity = Info(backing, target).Capacity;
        using var made = StorageApi.virStorageVolCreateXML(pool, VolumeXml(name, "qcow2", capacity, (backingPath, backingFormat)), 0);
        return PathOf(made, target);
    }

    /// <summary>True when the pool of <paramref name="folder"/> has a volume named <paramref name="name"/>.</summary>
    public bool VolumeExists(string folder, string name, string target)
    {
        using var pool = LookupPool(folder, target) ?? throw NoVolume(folder, target, isFolder: true);
        using var volume = StorageApi.virStorageVolLookupByName(pool, name);
        if (!volume.IsInvalid)
        {
            return true;
        }

        var error = LibvirtErrors.FromLastError(target, LibvirtCall.Other);
        return error.Error?.Code == NoStorageVol ? false : throw error;
    }

    /// <summary>Deletes the volume at <paramref name="path"/> and its data (virStorageVolDelete); nothing when there is none.</summary>
    public void DeleteVolume(string path, string target)
    {
        using var volume = LookupVolume(path, target);
        if (volume is not null)
        {
            Check(StorageApi.virStorageVolDelete(volume, 0), target);
        }
    }

    /// <summary>&lt;volume&gt; XML (docs/formatstorage.rst): name, capacity in bytes, target format (qcow2 with compat 1.1), and an optional backing store.</summary>
    internal static string VolumeXml(string name, string format, ulong capacity, (string Path, string Format)? backing) => new XElement(
        "volume",
        new XElement("name", name),
        new XElement("capacity", new XAttribute("unit", "bytes"), capacity.ToString(CultureInfo.InvariantCulture)),
        // qcow2 version 3 (QEMU 1.1 and later), as qemu-img makes by default; libvirt's own default is the older 0.10.
        new XElement("target", new XElement("format", new XAttribute("type", format)), format == "qcow2" ? new XElement("compat", "1.1") : null),
        backing is { } b
            ? new XElement("backingStore", new XElement("path", b.Path), new XElement("format", new XAttribute("type", b.Format)))
            : null).ToString();

    private StorageVolHandle? LookupVolume(string path, string target)
    {
        var volume = StorageApi.virStorageVolLookupByPath(_handle, path);
        if (!volume.IsInvalid)
        {
            return volume;
        }

        volume.Dispose();
        var error = LibvirtErrors.FromLastError(target, LibvirtCall.Other);
        return error.Error?.Code is NoStorageVol or NoStoragePool ? null : throw error;
    }

    private StoragePoolHandle? LookupPool(string folder, string target)
    {
        var pool = StorageApi.virStoragePoolLookupByTargetPath(_handle, folder);
        if (!pool.IsInvalid)
        {
            return pool;
        }

        pool.Dispose();
        var error = LibvirtErrors.FromLastError(target, LibvirtCall.Other);
        return error.Error?.Code is NoStoragePool ? null : throw error;
    }

    private static LibvirtVolume Describe(StorageVolHandle volume, string target)
    {
        var path = NativeStrings.Take(StorageApi.virStorageVolGetPath(volume)) ?? throw LibvirtErrors.FromLastError(target, LibvirtCall.Other);
        var xml = XDocument.Parse(NativeStrings.Take(StorageApi.virStorageVolGetXMLDesc(volume, 0)) ?? throw LibvirtErrors.FromLastError(target, LibvirtCall.Other));
        using var pool = StorageApi.virStoragePoolLookupByVolume(volume);
        if (pool.IsInvalid)
        {
            throw LibvirtErrors.FromLastError(target, LibvirtCall.Other);
        }

        var format = (string?)xml.Root?.Element("target")?.Element("format")?.Attribute("type") ?? "raw";
        return new LibvirtVolume(path, NativeStrings.Borrow(StorageApi.virStoragePoolGetName(pool)) ?? string.Empty, format, Info(volume, target).Capacity);
    }

    private static StorageApi.VirStorageVolInfo Info(StorageVolHandle volume, string target)
    {
        Check(StorageApi.virStorageVolGetInfo(volume, out var info), target);
        return info;
    }

    private static string PathOf(StorageVolHandle made, string target)
    {
        if (made.IsInvalid)
        {
            throw LibvirtErrors.FromLastError(target, LibvirtCall.Other);
        }

        return NativeStrings.Take(StorageApi.virStorageVolGetPath(made)) ?? throw LibvirtErrors.FromLastError(target, LibvirtCall.Other);
    }

    /// <summary>A pool that held <paramref name="path"/> when the copy was planned is gone (stopped since).</summary>
    private HeadlessVmException NoVolume(string path, string target, bool isFolder) => HeadlessVmErrors.DiskNotInStoragePool(target, path, Uri, isFolder);
}
