using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Listing, reading, defining and undefining domains.</summary>
public sealed partial class LibvirtConnection
{
    // virDomainStatsTypes (libvirt-domain.h): state, cpu total, balloon, vcpu.
    private const uint StatsWanted = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3);

    // VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT: "report statistics that can be obtained immediately without any
    // blocking", so a domain busy with a job does not stall the listing (libvirt-domain.h, since 4.5.0).
    private const uint StatsNoWait = 1u << 29;

    // virDomainXMLFlags: VIR_DOMAIN_XML_SECURE (passwords), VIR_DOMAIN_XML_INACTIVE (the persistent definition).
    private const uint XmlSecure = 1 << 0;
    private const uint XmlInactive = 1 << 1;

    // VIR_DOMAIN_DEFINE_VALIDATE: validate the XML against libvirt's schema before defining.
    private const uint DefineValidate = 1 << 0;

    // virDomainUndefineFlagsValues: MANAGED_SAVE, SNAPSHOTS_METADATA, NVRAM, CHECKPOINTS_METADATA.
    private const uint UndefineBasic = (1 << 0) | (1 << 1);
    private const uint UndefineAll = UndefineBasic | (1 << 2) | (1 << 4);

    /// <summary>
    /// Every domain, active and inactive, with its state and (where the driver gives them) memory, vCPUs and CPU
    /// time, in one RPC: virConnectGetAllDomainStats(STATE | CPU_TOTAL | BALLOON | VCPU, NOWAIT). Names and
    /// UUIDs are read locally from the returned domain objects. Throws <see cref="LibvirtException"/>.
    /// </summary>
    public unsafe IReadOnlyList<LibvirtDomainInfo> ListDomains()
    {
        var count = ConnectApi.virConnectGetAllDomainStats(_handle, StatsWanted, out var records, StatsNoWait);
        if (count < 0)
        {
            throw LibvirtErrors.FromLastError(Uri, LibvirtCall.Other);
        }

        try
        {
            var result = new List<LibvirtDomainInfo>(count);
            for (var i = 0; i < count; i++)
            {
                result.Add(ReadStats(records[i]));
            }

            return result;
        }
        finally
        {
            // Frees the records, their parameters and their domain references (libvirt-domain.c).
            ConnectApi.virDomainStatsRecordListFree(records);
        }
    }

    /// <summary>
    /// The domain's XML (virDomainGetXMLDesc). <paramref name="secure"/> includes passwords (VIR_DOMAIN_XML_SECURE;
    /// refused on read-only connections with <c>LibvirtAccessDenied</c>); <paramref name="inactive"/> gives the
    /// persistent definition rather than the running one. Throws <c>LibvirtDomainNotFound</c> and others.
    /// </summary>
    public string GetXml(string name, bool secure = false, bool inactive = false)
    {
        using var domain = Lookup(name);
        var flags = (secure ? XmlSecure : 0) | (inactive ? XmlInactive : 0);
        return NativeStrings.Take(DomainApi.virDomainGetXMLDesc(domain, flags)) ?? throw LibvirtErrors.FromLastError(name, LibvirtCall.Other);
    }

    /// <summary>The domain's name and UUID, or null when no domain has that name.</summary>
    public LibvirtDomainId? Find(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var domain = DomainApi.virDomainLookupByName(_handle, name);
        if (domain.IsInvalid)
        {
            var error = LibvirtErrors.FromLastError(name, LibvirtCall.Other);
            return error.ErrorId == ErrorIds.LibvirtDomainNotFound ? null : throw error;
        }

        var (found, uuid) = DomainIdentity.Read(domain.DangerousGetHandle());
        return new LibvirtDomainId(found, uuid);
    }

    /// <summary>The name and UUID of the domain with <paramref name="uuid"/>, or null when there is none (names can change; UUIDs cannot).</summary>
    public LibvirtDomainId? FindByUuid(Guid uuid)
    {
        using var domain = DomainApi.virDomainLookupByUUIDString(_handle, uuid.ToString("D"));
        if (domain.IsInvalid)
        {
            var error = LibvirtErrors.FromLastError(uuid.ToString("D"), LibvirtCall.Other);
            return error.ErrorId == ErrorIds.LibvirtDomainNotFound ? null : throw error;
        }

        var (name, found) = DomainIdentity.Read(domain.DangerousGetHandle());
        return new LibvirtDomainId(name, found);
    }

    /// <summary>
    /// Defines a new persistent domain from <paramref name="xml"/>, validated against libvirt's schema
    /// (virDomainDefineXMLFlags with VIR_DOMAIN_DEFINE_VALIDATE). Refuses a name that is already defined with
    /// <c>LibvirtDomainExists</c> rather than redefining it (libvirt's define would replace a domain of the same
    /// name and UUID). Bad XML is <c>InvalidDomainXml</c>; a valid configuration the driver cannot run is
    /// <c>DomainConfigUnsupported</c>. The target of errors is the name in the XML, when it has one.
    /// </summary>
    public LibvirtDomainId DefineNew(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var name = DomainXml.TryReadName(xml);
        if (name is not null && Find(name) is { } existing)
        {
            throw HeadlessVmErrors.LibvirtDomainExists(name, Uri, existing.Uuid.ToString("D"));
        }

        using var domain = DomainApi.virDomainDefineXMLFlags(_handle, xml, DefineValidate);
        if (domain.IsInvalid)
        {
            throw LibvirtErrors.FromLastError(name ?? Uri, LibvirtCall.Define);
        }

        var (definedName, uuid) = DomainIdentity.Read(domain.DangerousGetHandle());
        return new LibvirtDomainId(definedName, uuid);
    }

    /// <summary>
    /// Removes the domain's persistent definition (virDomainUndefineFlags) with its managed-save image, snapshot
    /// and checkpoint metadata and its NVRAM file; disk images are never touched. A running domain stays running
    /// until it stops, then disappears. Drivers that refuse the NVRAM/checkpoint flags (the test driver) are asked
    /// again with managed-save and snapshot metadata only. Throws <c>LibvirtDomainNotFound</c> and others.
    /// </summary>
    public void Undefine(string name)
    {
        using var domain = Lookup(name);
        if (DomainApi.virDomainUndefineFlags(domain, UndefineAll) == 0)
        {
            return;
        }

        var error = LibvirtErrors.FromLastError(name, LibvirtCall.Other);
        if (error.ErrorId != ErrorIds.LibvirtInvalidArgument || !error.Message.Contains("unsupported flags", StringComparison.Ordinal))
        {
            throw error;
        }

        Check(DomainApi.virDomainUndefineFlags(domain, UndefineBasic), name);
    }

    private static unsafe LibvirtDomainInfo ReadStats(ConnectApi.VirDomainStatsRecord* record)
    {
        var (name, uuid) = DomainIdentity.Read(record->Domain);
        var id = DomainApi.virDomainGetID(record->Domain);
        var p = record->Parameters;
        var n = record->ParameterCount;
        var state = ConnectApi.virTypedParamsGetInt(p, n, "state.state", out var s) == 1 ? s : 0;
        var reason = ConnectApi.virTypedParamsGetInt(p, n, "state.reason", out var r) == 1 ? r : 0;
        ulong? ULong(string field) => ConnectApi.virTypedParamsGetULLong(p, n, field, out var v) == 1 ? v : null;
        uint? UInt(string field) => ConnectApi.virTypedParamsGetUInt(p, n, field, out var v) == 1 ? v : null;
        return new LibvirtDomainInfo(
            name,
            uuid,
            id == uint.MaxValue ? null : (int)id,
            new LibvirtDomainStatus((LibvirtDomainState)state, reason),
            ULong("balloon.current"),
            ULong("balloon.maximum"),
            UInt("vcpu.current"),
            ULong("cpu.time"));
    }
}
