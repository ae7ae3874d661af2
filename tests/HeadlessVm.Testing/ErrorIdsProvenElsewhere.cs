namespace HeadlessVm.Testing;

/// <summary>
/// The error ids that the cmdlet-level table (HeadlessVm.Tests' ErrorCatalogueTests) does not raise, each
/// with where it is proven instead and why not through a cmdlet there. The cmdlet table's completeness
/// check accepts exactly these as the ids without a row of its own; the core-level libvirt table
/// (HeadlessVm.Core.Tests' LibvirtErrorCatalogueTests) must have a row for every one of them. Ids are
/// spelled as text because this project references no HeadlessVm assembly; the completeness checks
/// fail on any that is not in the catalogue.
/// </summary>
public static class ErrorIdsProvenElsewhere
{
    private const string Mapping = "libvirt reports it only from a daemon or hypervisor state no test machine brings about on cue; " +
        "the core-level table feeds libvirt's own error (code, domain and message as libvirt 9.0 reports it) through the one mapping";

    private const string Remote = "needs a remote libvirt host reached over ssh (the hostbed of RemoteHostTests, which raises it through " +
        "the cmdlets when that bed is available); the core-level table maps libvirt's own error for it";

    /// <summary>Id → why it has no cmdlet-level row.</summary>
    public static IReadOnlyDictionary<string, string> CoreLevelOnly { get; } = new Dictionary<string, string>
    {
        ["HostAuthenticationFailed"] = Remote,
        ["HostKeyNotTrusted"] = Remote,
        ["HostConnectionLost"] = Remote,
        ["InvalidDomainXml"] = "the cmdlets write every domain's XML themselves, so libvirt never sees XML it refuses; the core-level table defines a domain libvirt's schema rejects",
        ["LibvirtAccessDenied"] = "the cmdlets open read-write connections only; the core-level table uses a read-only connection to the test driver",
        ["ConsoleBusy"] = "another client must hold the domain's console at the moment of the call (LibvirtDaemonTests holds it with the real daemon)",
        ["DomainConfigUnsupported"] = Mapping,
        ["LibvirtTimeout"] = Mapping,
        ["LibvirtResourceBusy"] = Mapping,
        ["LibvirtOperationAborted"] = Mapping,
        ["LibvirtSystemError"] = Mapping,
        ["LibvirtOperationFailed"] = Mapping,
    };
}
