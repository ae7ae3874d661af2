using System.Globalization;
using System.Xml.Linq;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Uploads of local files into new volumes on the libvirt host, through libvirt's own connection (any URI).</summary>
public sealed partial class LibvirtConnection
{
    /// <summary>
    /// Makes raw volume <paramref name="name"/> (mode 0600) in the pool of <paramref name="folder"/> holding the bytes of the local
    /// file <paramref name="localFile"/>: virStorageVolCreateXML, then virStorageVolUpload over a blocking stream (virStreamNew,
    /// virStreamSend until all is sent, virStreamFinish; libvirt-storage.h, libvirt-stream.h). The data crosses the
    /// connection, so a remote host needs nothing but its pool. A failed upload aborts the stream and deletes the volume:
    /// nothing half-written stays. Returns the volume's path; DiskNotInStoragePool (target <paramref name="target"/>) when no
    /// active pool has that folder; libvirt's own failures (a volume of that name exists) keep their ids.
    /// </summary>
    public unsafe string UploadVolume(string folder, string name, string localFile, string target)
    {
        using var pool = LookupPool(folder, target) ?? throw NoVolume(folder, target, isFolder: true);
        var length = (ulong)new FileInfo(localFile).Length;
        using var volume = StorageApi.virStorageVolCreateXML(pool, PrivateRawVolumeXml(name, length), 0);
        var path = PathOf(volume, target);
        try
        {
            using var stream = StreamApi.virStreamNew(_handle, 0);
            if (stream.IsInvalid)
            {
                throw LibvirtErrors.FromLastError(target, LibvirtCall.Other);
            }

            Check(StorageApi.virStorageVolUpload(volume, stream, 0, length, 0), target);
            var finished = false;
            try
            {
                using var file = File.OpenRead(localFile);
                var buffer = new byte[256 * 1024];
                int read;
                while ((read = file.Read(buffer)) > 0)
                {
                    var offset = 0;
                    while (offset < read)
                    {
                        int sent;
                        fixed (byte* data = &buffer[offset])
                        {
                            sent = StreamApi.virStreamSend(stream, data, (nuint)(read - offset));
                        }

                        if (sent < 0)
                        {
                            throw LibvirtErrors.FromLastError(target, LibvirtCall.Other);
                        }

                        offset += sent;
                    }
                }

                Check(StreamApi.virStreamFinish(stream), target);
                finished = true;
            }
            finally
            {
                if (!finished)
                {
                    StreamApi.virStreamAbort(stream);
                }
            }
        }
        catch
        {
            StorageApi.virStorageVolDelete(volume, 0);
            throw;
        }

        return path;
    }

    /// <summary>
    /// A raw &lt;volume&gt; of <paramref name="capacity"/> bytes whose file is mode 0600 (docs/formatstorage.rst, "Target
    /// elements": permissions). The daemon creates it as its own user (root for qemu:///system); when a domain using it starts,
    /// libvirt's dynamic_ownership hands it to the qemu user (libvirt-qemu), and keeps it so after the domain stops when it was
    /// used read-only (seen on libvirt 9.0: it gives back the owner of writable images only). It stays 0600 throughout.
    /// </summary>
    internal static string PrivateRawVolumeXml(string name, ulong capacity) => new XElement(
        "volume",
        new XElement("name", name),
        new XElement("capacity", new XAttribute("unit", "bytes"), capacity.ToString(CultureInfo.InvariantCulture)),
        new XElement("target", new XElement("format", new XAttribute("type", "raw")), new XElement("permissions", new XElement("mode", "0600")))).ToString();
}
