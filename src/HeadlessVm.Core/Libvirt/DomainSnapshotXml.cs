using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// The &lt;domainsnapshot&gt; XML of libvirt (docs/formatsnapshot.rst), both ways: the little HeadlessVm asks for when it
/// takes a checkpoint, and the checkpoint it reads back as a <see cref="VmSnapshot"/>.
/// </summary>
public static class DomainSnapshotXml
{
    /// <summary>
    /// A request for snapshot <paramref name="snapshot"/> with an optional description. Nothing else is said, so libvirt
    /// applies its defaults: memory for a running domain, internal snapshots of its qcow2 disks (formatsnapshot.rst:
    /// "the default is to take an internal snapshot of every disk"), none of read-only ones.
    /// </summary>
    public static string Request(string snapshot, string? description)
    {
        var root = new XElement("domainsnapshot", new XElement("name", snapshot));
        if (!string.IsNullOrEmpty(description))
        {
            root.Add(new XElement("description", description));
        }

        return root.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>
    /// Reads one snapshot of VM <paramref name="vmName"/> on <paramref name="location"/>: name, description, creationTime
    /// (seconds since the epoch, shown in local time), whether it holds memory (&lt;memory snapshot='internal'|'external'&gt;;
    /// without that element, a &lt;state&gt; of running, paused or blocked), and the paths of the disks it covers (each
    /// &lt;disks&gt;/&lt;disk&gt; not marked snapshot='no', by its target name in the domain's XML as it was then).
    /// libvirt gives no size of the saved state nor the guest's clock: those stay null. InvalidDomainXml (target: the VM)
    /// when the text is not a snapshot.
    /// </summary>
    public static VmSnapshot Parse(string xml, string vmName, HostTarget location)
    {
        XElement root;
        try
        {
            root = XDocument.Parse(xml).Root ?? throw Invalid(vmName, "the document is empty");
        }
        catch (XmlException e)
        {
            throw Invalid(vmName, e.Message);
        }

        var name = root.Element("name")?.Value;
        if (root.Name != "domainsnapshot" || string.IsNullOrEmpty(name))
        {
            throw Invalid(vmName, "it is not a <domainsnapshot> with a <name>");
        }

        var created = long.TryParse(root.Element("creationTime")?.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds).ToLocalTime()
            : default;
        var memory = (string?)root.Element("memory")?.Attribute("snapshot");
        var hasMemory = memory is null
            ? root.Element("state")?.Value.Trim() is "running" or "paused" or "blocked"
            : memory is "internal" or "external";
        var description = root.Element("description")?.Value;
        return new VmSnapshot
        {
            VmName = vmName,
            SnapshotName = name,
            Description = string.IsNullOrEmpty(description) ? null : description,
            Created = created,
            HasMemory = hasMemory,
            DiskPath = new ValueList(DiskPaths(root, vmName)),
            ComputerName = location.ComputerName,
            ConnectionUri = location.ConnectionUri,
        };
    }

    private static IEnumerable<string> DiskPaths(XElement root, string vmName)
    {
        var sources = root.Element("domain") is { } domain
            ? DomainXml.Parse(domain.ToString(), target: vmName).Disks
                .Where(d => d.Target is not null && d.Source is not null)
                .GroupBy(d => d.Target!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First().Source!, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var disk in root.Element("disks")?.Elements("disk") ?? Enumerable.Empty<XElement>())
        {
            if ((string?)disk.Attribute("snapshot") == "no" || (string?)disk.Attribute("name") is not { } target)
            {
                continue;
            }

            // A disk named by its path rather than its target (formatsnapshot.rst allows both) is its own path.
            yield return sources.TryGetValue(target, out var path) ? path : target;
        }
    }

    private static LibvirtException Invalid(string vmName, string why) => HeadlessVmErrors.LibvirtFailure(ErrorIds.InvalidDomainXml,
        FailureKind.InvalidArgument, vmName, $"HeadlessVm cannot read a snapshot of VM '{vmName}' that libvirt returned: {why}.", null);
}
