using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>Renaming a domain and changing its metadata in place (libvirt-domain.h).</summary>
internal static partial class DomainChangeApi
{
    /// <summary>virDomainMetadataType VIR_DOMAIN_METADATA_ELEMENT: one element in a namespace of the caller's.</summary>
    internal const int MetadataElement = 2;

    /// <summary>Since 1.2.19; the QEMU driver renames inactive domains only.</summary>
    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainRename(DomainHandle domain, string newName, uint flags);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainSetMetadata(DomainHandle domain, int type, string? metadata, string? key, string? uri, uint flags);
}
