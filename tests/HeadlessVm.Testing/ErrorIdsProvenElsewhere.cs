namespace HeadlessVm.Testing;

/// <summary>
/// The error ids that the cmdlet-level table (HeadlessVm.Tests' ErrorCatalogueTests) does not raise, each
/// with where it is proven instead and why not there. The cmdlet table's completeness check accepts exactly
/// these as the ids without a row of its own. Ids are spelled as text because this project references no
/// HeadlessVm assembly; both completeness checks fail on any that is not in the catalogue.
/// </summary>
public static class ErrorIdsProvenElsewhere
{
    private const string Mapping = "libvirt reports it only from a daemon or hypervisor state no test machine brings about on cue; " +
        "the core-level table feeds libvirt's own error (code, domain and message as libvirt 9.0 reports it) through the one mapping";

    private const string Remote = "needs a remote libvirt host reached over ssh: RemoteHostTests raises it through the cmdlets against " +
        "tests/hosts/hostbed.sh's namespaced hosts";

    /// <summary>
    /// Libvirt ids that only a core-level call can provoke here; HeadlessVm.Core.Tests' LibvirtErrorCatalogueTests
    /// must have a row for each (id → why no cmdlet row).
    /// </summary>
    public static IReadOnlyDictionary<string, string> CoreLibvirtTable { get; } = new Dictionary<string, string>
    {
        ["LibvirtDomainNotFound"] = "the cmdlets list a host's domains before acting and report VmNotFound; libvirt's own not-found needs the domain to go between that listing and the call",
        ["LibvirtDomainExists"] = "the cmdlets list a host's domains before defining one and report VmAlreadyExists; libvirt's own needs a domain of that name to appear in between",
        ["DomainStateInvalid"] = "the cmdlets check a domain's state before acting (VmNotRunning); libvirt's refusal needs the state to change in between",
        ["LibvirtInvalidArgument"] = "the one call that meets it, starting a domain paused on a driver that cannot, is caught: the cmdlets start it running instead (LibvirtBackend.Create)",
        ["InvalidDomainXml"] = "the cmdlets write every domain's XML themselves, so libvirt never sees XML it refuses; the core-level table defines one its schema rejects",
        ["LibvirtAccessDenied"] = "the cmdlets open read-write connections only; the core-level table uses a read-only connection to the test driver",
        ["ConsoleBusy"] = "another client must hold the domain's console at the moment of the call (LibvirtDaemonTests holds it with the real daemon)",
        ["HostConnectionLost"] = "a connection must break after it was opened; RemoteHostTests kills a bed host's libvirtd, which libvirt reports as this or HostUnreachable depending on timing",
        ["HostAuthenticationFailed"] = Remote,
        ["HostKeyNotTrusted"] = Remote,
        ["DomainConfigUnsupported"] = Mapping,
        ["LibvirtTimeout"] = Mapping,
        ["LibvirtResourceBusy"] = Mapping,
        ["LibvirtOperationAborted"] = Mapping,
        ["LibvirtSystemError"] = Mapping,
        ["LibvirtOperationFailed"] = Mapping,
    };

    /// <summary>Other ids proven by a named test rather than a row of the cmdlet table (id → the test and why).</summary>
    public static IReadOnlyDictionary<string, string> OtherTests { get; } = new Dictionary<string, string>
    {
        ["PathNotAbsolute"] = "RemoteHostTests: " + Remote + "; on this machine the cmdlets resolve relative paths against the current location",
        ["ConsoleNeedsTunnel"] = "RemoteConsoleTests (ConsoleVia_tunnels_a_host_libvirt_reaches_without_ssh...): a bed host reached through libvirt's ext transport, " +
            "without -ConsoleVia; a host of this machine or of the test driver has its consoles here",
        ["ConsoleTunnelFailed"] = "RemoteConsoleTests (A_forward_ssh_refuses...): an ssh master on a bed host must refuse a forward; " + Remote,
        ["SerialLogNotReachable"] = "RemoteHostTests: " + Remote,
        ["StateFolderRelative"] = "DamagedStateTests (core): the cmdlets resolve a relative HEADLESSVM_HOME or HOME against the current location " +
            "(PathNotInFileSystem when that is no folder), so only a core caller without a resolver meets it",
        ["QemuImgSnapshotFailed"] = "CheckpointsTests (core): the cmdlets check every disk's format and snapshots with qemu-img info before " +
            "qemu-img snapshot runs, so its own refusal needs the image to change between the two calls",
    };

    /// <summary>Every id without a row in the cmdlet table.</summary>
    public static IEnumerable<string> All => CoreLibvirtTable.Keys.Concat(OtherTests.Keys);
}
