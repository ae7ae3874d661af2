using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Console;

/// <summary>
/// bridge.json: what a bridge is. Its token lives with its console server (<see cref="TokenLine"/>), its process is the server's.
/// <see cref="ComputerName"/> and <see cref="ConnectionUri"/> say where a libvirt VM's bridge's VM lives (both null for a
/// store VM's bridge and a -Target bridge, so older records read the same).
/// </summary>
public sealed record VncBridgeRecord(
    string Name,
    string? VmName,
    string Target,
    string ListenAddress,
    int WebPort,
    string WebRoot,
    string? CertificatePath,
    string? KeyPath,
    DateTimeOffset Created,
    string? ComputerName = null,
    string? ConnectionUri = null)
{
    /// <summary>Where the VM lives: the folder store unless the record names a libvirt URI.</summary>
    public HostTarget Host => ConnectionUri is null ? HostTarget.Local : new HostTarget(ComputerName ?? ConnectionUri, ConnectionUri);

    /// <summary>The bridge's record: missing when there is none, damaged when it cannot be this bridge's.</summary>
    public static RecordRead<VncBridgeRecord> Read(StatePaths.BridgeFiles bridge, string name) =>
        RecordFiles.ReadJson<VncBridgeRecord>(bridge.RecordFile, r =>
            r.Name != name ? $"it names bridge '{r.Name}', not '{name}'"
            : string.IsNullOrEmpty(r.Target) || string.IsNullOrEmpty(r.ListenAddress) || string.IsNullOrEmpty(r.WebRoot) ? "it lacks its target, address or web root"
            : r.WebPort is < 1 or > 65535 ? $"its web port {r.WebPort} is out of range"
            : null);

    /// <summary>Written without fsync: a bridge means nothing after a power loss.</summary>
    public void Write(StatePaths.BridgeFiles bridge) => JsonRecords.Write(bridge.RecordFile, this, durable: false);
}
