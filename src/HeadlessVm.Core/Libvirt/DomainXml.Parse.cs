using HeadlessVm.Core.Errors;
using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Reading any domain's XML, whoever wrote it.</summary>
public static partial class DomainXml
{
    /// <summary>
    /// Reads a domain's XML as virDomainGetXMLDesc returns it. <paramref name="dumpedSecure"/> says whether it
    /// was fetched with VIR_DOMAIN_XML_SECURE: only then does a missing passwd mean "no password".
    /// Throws <see cref="LibvirtException"/> <c>InvalidDomainXml</c> (with <paramref name="target"/>) when the text
    /// is not XML or lacks the domain's name or memory.
    /// </summary>
    public static DomainDefinition Parse(string xml, bool dumpedSecure = false, string? target = null)
    {
        ArgumentNullException.ThrowIfNull(xml);
        XElement domain;
        try
        {
            domain = XDocument.Parse(xml).Root ?? throw Invalid(target, "the document is empty");
        }
        catch (XmlException e)
        {
            throw Invalid(target, e.Message);
        }

        if (domain.Name != "domain")
        {
            throw Invalid(target, $"the root element is <{domain.Name}>, not <domain>");
        }

        var name = domain.Element("name")?.Value.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw Invalid(target, "it has no <name>");
        }

        var memory = domain.Element("memory") ?? throw Invalid(target ?? name, "it has no <memory>");
        var devices = domain.Element("devices");
        return new DomainDefinition(
            name,
            Guid.TryParse(domain.Element("uuid")?.Value.Trim(), out var uuid) ? uuid : null,
            (string?)domain.Attribute("type") ?? string.Empty,
            ToKiB(memory, target ?? name),
            VirtualCpus(domain.Element("vcpu")),
            Children(devices, "graphics").Select(g => Graphics(g, dumpedSecure)).ToList(),
            Children(devices, "disk").Select(Disk).ToList(),
            Children(devices, "interface").Select(Interface).ToList(),
            Children(devices, "serial").Select(c => CharDevice(c, "serial")).ToList(),
            Children(devices, "console").Select(c => CharDevice(c, "console")).ToList(),
            DomainMetadata.FromDomain(domain))
        {
            Os = Os(domain.Element("os")),
            Cpu = Cpu(domain.Element("cpu")),
        };
    }

    private static DomainOs Os(XElement? os)
    {
        var type = os?.Element("type");
        return new DomainOs(
            (string?)type?.Attribute("arch"),
            (string?)type?.Attribute("machine"),
            NullIfEmpty(os?.Element("kernel")?.Value),
            NullIfEmpty(os?.Element("initrd")?.Value),
            NullIfEmpty(os?.Element("cmdline")?.Value),
            Children(os, "boot").Select(b => (string?)b.Attribute("dev")).OfType<string>().ToList());
    }

    private static DomainCpu Cpu(XElement? cpu) =>
        new((string?)cpu?.Attribute("mode"), NullIfEmpty(cpu?.Element("model")?.Value));

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static IEnumerable<XElement> Children(XElement? parent, string name) =>
        parent?.Elements(name) ?? Enumerable.Empty<XElement>();

    private static DomainGraphics Graphics(XElement g, bool dumpedSecure)
    {
        var listen = g.Elements("listen").FirstOrDefault();
        var address = (string?)listen?.Attribute("address") ?? (string?)g.Attribute("listen");
        var socket = (string?)listen?.Attribute("socket") ?? (string?)g.Attribute("socket");
        int? port = int.TryParse((string?)g.Attribute("port"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p) && p > 0
            ? p
            : null;
        bool? hasPassword = g.Attribute("passwd") is not null ? true : dumpedSecure ? false : null;
        return new DomainGraphics(
            (string?)g.Attribute("type") ?? string.Empty,
            address,
            socket,
            port,
            (string?)g.Attribute("autoport") == "yes",
            hasPassword)
        {
            Password = (string?)g.Attribute("passwd"),
        };
    }

    private static DomainDisk Disk(XElement d)
    {
        var type = (string?)d.Attribute("type") ?? "file";
        var source = d.Element("source");
        var path = type switch
        {
            "block" => (string?)source?.Attribute("dev"),
            "network" => (string?)source?.Attribute("name"),
            "volume" => source is null ? null : $"{(string?)source.Attribute("pool")}/{(string?)source.Attribute("volume")}",
            "dir" => (string?)source?.Attribute("dir"),
            _ => (string?)source?.Attribute("file"),
        };
        var target = d.Element("target");
        return new DomainDisk(
            (string?)d.Attribute("device") ?? "disk",
            type,
            path,
            (string?)d.Element("driver")?.Attribute("type"),
            (string?)target?.Attribute("dev"),
            (string?)target?.Attribute("bus"),
            d.Element("readonly") is not null);
    }

    private static DomainInterface Interface(XElement i)
    {
        var source = i.Element("source");
        return new DomainInterface(
            (string?)i.Attribute("type") ?? string.Empty,
            (string?)i.Element("mac")?.Attribute("address"),
            (string?)i.Element("model")?.Attribute("type"),
            (string?)source?.Attribute("network") ?? (string?)source?.Attribute("bridge") ?? (string?)source?.Attribute("dev"));
    }

    private static DomainCharDevice CharDevice(XElement c, string kind) => new(
        kind,
        (string?)c.Attribute("type") ?? "pty",
        (string?)c.Element("source")?.Attribute("path") ?? (string?)c.Attribute("tty"),
        (string?)c.Element("log")?.Attribute("file"),
        (string?)c.Element("target")?.Attribute("type"));

    private static int VirtualCpus(XElement? vcpu)
    {
        if (vcpu is null)
        {
            return 1;
        }

        // current='N' is the number online now; the text is the maximum (formatdomain.rst, CPU Allocation).
        var text = (string?)vcpu.Attribute("current") ?? vcpu.Value.Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1;
    }

    /// <summary>
    /// &lt;memory unit=...&gt; in KiB. Units per formatdomain.rst (Memory Allocation): b/bytes, KB (10^3), k/KiB
    /// (2^10), MB, M/MiB, GB, G/GiB, TB, T/TiB; no unit means KiB.
    /// </summary>
    private static ulong ToKiB(XElement memory, string target)
    {
        if (!ulong.TryParse(memory.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw Invalid(target, $"<memory> is '{memory.Value}'");
        }

        var unit = (string?)memory.Attribute("unit") ?? "KiB";
        var bytes = unit switch
        {
            "b" or "bytes" => value,
            "KB" => value * 1_000,
            "k" or "KiB" => value * 1024,
            "MB" => value * 1_000_000,
            "M" or "MiB" => value * 1024 * 1024,
            "GB" => value * 1_000_000_000,
            "G" or "GiB" => value * 1024 * 1024 * 1024,
            "TB" => value * 1_000_000_000_000,
            "T" or "TiB" => value * 1024 * 1024 * 1024 * 1024,
            _ => throw Invalid(target, $"<memory> has the unknown unit '{unit}'"),
        };
        return bytes / 1024;
    }

    private static LibvirtException Invalid(string? target, string why) => HeadlessVmErrors.InvalidDomainXml(target ?? "domain", why);
}
