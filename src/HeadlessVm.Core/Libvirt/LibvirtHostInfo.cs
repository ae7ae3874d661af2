namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// What a connection says about its host: <see cref="ClientLibraryVersion"/> is this process's libvirt.so
/// (virGetVersion), <see cref="DaemonLibraryVersion"/> the libvirt on the far side (virConnectGetLibVersion),
/// <see cref="HypervisorType"/> the driver's name ("QEMU", "Test"; virConnectGetType) and
/// <see cref="HypervisorVersion"/> its version (e.g. QEMU 7.2.0; virConnectGetVersion; 0.0.0 when unknown).
/// <see cref="CanonicalUri"/> is the URI libvirt resolved (virConnectGetURI) and <see cref="HostName"/> the
/// host's name (virConnectGetHostname).
/// </summary>
public sealed record LibvirtHostInfo(
    Version ClientLibraryVersion,
    Version DaemonLibraryVersion,
    string HypervisorType,
    Version HypervisorVersion,
    string CanonicalUri,
    string HostName)
{
    /// <summary>libvirt's version encoding, major * 1,000,000 + minor * 1,000 + release (libvirt-host.h, virGetVersion).</summary>
    public static Version Decode(ulong encoded) =>
        new((int)(encoded / 1_000_000), (int)(encoded / 1_000 % 1_000), (int)(encoded % 1_000));
}
