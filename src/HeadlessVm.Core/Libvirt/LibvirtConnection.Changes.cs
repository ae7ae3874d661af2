using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Changing a defined domain: its definition replaced, its name, its metadata.</summary>
public sealed partial class LibvirtConnection
{
    /// <summary>
    /// Replaces the persistent definition of the domain that <paramref name="xml"/> names (same name and UUID) with
    /// <paramref name="xml"/>, validated against libvirt's schema (virDomainDefineXMLFlags, VIR_DOMAIN_DEFINE_VALIDATE).
    /// libvirt parses and checks the whole definition before it replaces anything, so a refused one leaves the old
    /// definition as it was. A running domain keeps running as it started; the new definition applies from its next start.
    /// Throws <c>InvalidDomainXml</c>, <c>DomainConfigUnsupported</c> and others with <paramref name="target"/> as target.
    /// </summary>
    public void Redefine(string xml, string target)
    {
        ArgumentNullException.ThrowIfNull(xml);
        using var domain = DomainApi.virDomainDefineXMLFlags(_handle, xml, DefineValidate);
        if (domain.IsInvalid)
        {
            throw LibvirtErrors.FromLastError(target, LibvirtCall.Other);
        }
    }

    /// <summary>
    /// Renames a domain (virDomainRename). The QEMU driver renames only an inactive domain ("cannot rename active domain",
    /// <c>DomainStateInvalid</c>) without snapshots; a name another domain has is refused by libvirt too.
    /// </summary>
    public void Rename(string name, string newName)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        using var domain = Lookup(name);
        Check(DomainChangeApi.virDomainRename(domain, newName, 0), name);
    }

    /// <summary>
    /// Replaces the domain's metadata element in namespace <paramref name="namespaceUri"/> (prefix <paramref name="prefix"/>)
    /// with <paramref name="element"/> (virDomainSetMetadata, VIR_DOMAIN_METADATA_ELEMENT), in the running domain
    /// (<paramref name="live"/>) and/or its persistent definition (<paramref name="config"/>).
    /// </summary>
    public void SetMetadata(string name, string element, string prefix, string namespaceUri, bool live, bool config)
    {
        using var domain = Lookup(name);
        Check(DomainChangeApi.virDomainSetMetadata(domain, DomainChangeApi.MetadataElement, element, prefix, namespaceUri,
            (live ? AffectLive : 0) | (config ? AffectConfig : 0)), name);
    }
}
