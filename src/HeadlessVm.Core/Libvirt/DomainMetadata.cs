using System.Globalization;
using System.Xml.Linq;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// HeadlessVm's element inside a domain's <c>&lt;metadata&gt;</c>, both directions. libvirt keeps one element per
/// namespace there untouched ("custom metadata ... each namespace URI is unique", docs/formatdomain.rst, General
/// metadata; virDomainSetMetadata). Its presence marks a domain HeadlessVm created:
/// <code>
/// &lt;headlessvm:vm xmlns:headlessvm="https://github.com/headlessvm/HeadlessVm/xmlns/domain/1" created="2026-01-02T03:04:05.0000000+00:00" macAddressGenerated="true"&gt;
///   &lt;headlessvm:portForward hostAddress="127.0.0.1" hostPort="8080" guestPort="80"/&gt;
///   &lt;headlessvm:cloudInit instanceId="web1-0123456789ab" seed="/var/lib/libvirt/images/web1-0123456789ab-cidata.iso" userName="admin"&gt;
///     &lt;headlessvm:sshPublicKey value="ssh-ed25519 AAAA... me@host"/&gt;
///   &lt;/headlessvm:cloudInit&gt;
/// &lt;/headlessvm:vm&gt;
/// </code>
/// The namespace lives under the project's own URI and carries a version; a later layout gets a new one.
/// Never put secrets here: read-only connections see metadata. The cloud-init data is what the folder store keeps in
/// vm.json (public keys, user, host name, and a whole user-data when one was given: do not put passwords in it).
/// </summary>
public static class DomainMetadata
{
    /// <summary>The namespace URI of HeadlessVm's metadata, version 1.</summary>
    public const string NamespaceUri = "https://github.com/headlessvm/HeadlessVm/xmlns/domain/1";

    /// <summary>The prefix libvirt keeps for the element (virDomainSetMetadata's "key").</summary>
    public const string Prefix = "headlessvm";

    /// <summary>The namespace as an <see cref="XNamespace"/>.</summary>
    public static readonly XNamespace Namespace = NamespaceUri;

    private static readonly XName VmName = Namespace + "vm";
    private static readonly XName ForwardName = Namespace + "portForward";
    private static readonly XName CloudInitName = Namespace + "cloudInit";
    private static readonly XName KeyName = Namespace + "sshPublicKey";

    /// <summary>The element for <paramref name="metadata"/>, declaring the namespace with <see cref="Prefix"/>.</summary>
    public static XElement ToElement(HeadlessVmDomainMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return new XElement(
            VmName,
            new XAttribute(XNamespace.Xmlns + Prefix, NamespaceUri),
            metadata.Created is { } created ? new XAttribute("created", created.ToString("o", CultureInfo.InvariantCulture)) : null,
            // Written only when true, so that the element of a domain with the user's MAC is as it always was.
            metadata.MacAddressGenerated ? new XAttribute("macAddressGenerated", "true") : null,
            metadata.PortForwards.Select(f => new XElement(
                ForwardName,
                new XAttribute("hostAddress", f.HostAddress),
                new XAttribute("hostPort", f.HostPort),
                new XAttribute("guestPort", f.GuestPort))),
            CloudInit(metadata));
    }

    // Texts go in attributes (XML keeps their line ends as character references), so that a copy of the element made
    // attribute by attribute (Set-HeadlessVm's live change of the forwards) keeps them.
    private static XElement? CloudInit(HeadlessVmDomainMetadata metadata) => metadata.CloudInit is not { } c
        ? null
        : new XElement(
            CloudInitName,
            new XAttribute("instanceId", c.InstanceId),
            metadata.CloudInitSeed is null ? null : new XAttribute("seed", metadata.CloudInitSeed),
            c.UserName is null ? null : new XAttribute("userName", c.UserName),
            c.HostName is null ? null : new XAttribute("hostName", c.HostName),
            c.UserData is null ? null : new XAttribute("userData", c.UserData),
            c.NetworkConfig is null ? null : new XAttribute("networkConfig", c.NetworkConfig),
            c.SshPublicKeys.Select(k => new XElement(KeyName, new XAttribute("value", k))));

    /// <summary>
    /// Reads HeadlessVm's element from a domain's <c>&lt;metadata&gt;</c> (or from the domain root); null when it is
    /// absent. Forwards whose attributes are not numbers are skipped rather than failing the whole domain.
    /// </summary>
    public static HeadlessVmDomainMetadata? FromDomain(XElement domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var vm = domain.Element("metadata")?.Element(VmName);
        if (vm is null)
        {
            return null;
        }

        DateTimeOffset? created = DateTimeOffset.TryParse((string?)vm.Attribute("created"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var c)
            ? c
            : null;
        var forwards = new List<PortForward>();
        foreach (var f in vm.Elements(ForwardName))
        {
            if (int.TryParse((string?)f.Attribute("hostPort"), NumberStyles.None, CultureInfo.InvariantCulture, out var host)
                && int.TryParse((string?)f.Attribute("guestPort"), NumberStyles.None, CultureInfo.InvariantCulture, out var guest))
            {
                forwards.Add(new PortForward((string?)f.Attribute("hostAddress") ?? "127.0.0.1", host, guest));
            }
        }

        var cloudInit = vm.Element(CloudInitName);
        var config = (string?)cloudInit?.Attribute("instanceId") is { Length: > 0 } instanceId
            ? new CloudInitConfig
            {
                InstanceId = instanceId,
                UserName = (string?)cloudInit.Attribute("userName"),
                HostName = (string?)cloudInit.Attribute("hostName"),
                UserData = (string?)cloudInit.Attribute("userData"),
                NetworkConfig = (string?)cloudInit.Attribute("networkConfig"),
                SshPublicKeys = cloudInit.Elements(KeyName).Select(k => (string?)k.Attribute("value")).OfType<string>().ToArray(),
            }
            : null;
        return new HeadlessVmDomainMetadata(
            created, forwards, (string?)vm.Attribute("macAddressGenerated") == "true", config, config is null ? null : (string?)cloudInit!.Attribute("seed"));
    }
}
