using System.Management.Automation;
using HeadlessVm.Core;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// The base of the console cmdlets: the core's bridges, and bridge names resolved like VM names. With -ComputerName or
/// -ConnectionUri, a name is a VM's on those hosts and stands for its bridge (HOST~VM for a libvirt VM); a name that
/// already is HOST~VM is taken as it is, so VncBridge objects (which carry their ComputerName) pipe in unchanged.
/// </summary>
public abstract class VncBridgeCmdlet : VmCmdlet
{
    protected Bridges Bridges => Context.Bridges;

    /// <summary>True when the current record names hosts.</summary>
    protected bool HostsNamed =>
        ComputerName?.Any(n => !string.IsNullOrWhiteSpace(n)) == true || ConnectionUri?.Any(u => !string.IsNullOrWhiteSpace(u)) == true;

    /// <summary>
    /// The names of the bridges that <paramref name="names"/> name (wildcards expanded), each once; every
    /// bridge's when null, a damaged one's too. A plain name with no bridge is a non-terminating BridgeNotFound error.
    /// </summary>
    protected IReadOnlyList<string> ResolveBridgeNames(IEnumerable<string>? names) =>
        ResolveByName(names, Bridges.Names(), b => b, name => ToErrorRecord(HeadlessVmErrors.BridgeNotFound(name), name)!);

    /// <summary>
    /// The bridges that <paramref name="names"/> name (wildcards expanded), each once, with their live state;
    /// every bridge when null (of the hosts named, when hosts are named). A plain name with no bridge is a
    /// non-terminating BridgeNotFound error; one whose record or token is damaged is a non-terminating
    /// BridgeRecordDamaged error, and the others are still returned. <paramref name="refreshTunnels"/> makes each
    /// tunnelled console's ssh forward good first (not worth it for bridges about to stop).
    /// </summary>
    protected IReadOnlyList<VncBridge> ResolveBridges(IEnumerable<string>? names, bool refreshTunnels = true)
    {
        try
        {
            return Resolve(names, refreshTunnels);
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    private IReadOnlyList<VncBridge> Resolve(IEnumerable<string>? names, bool refreshTunnels)
    {
        if (!HostsNamed)
        {
            // What a killed process left of the ssh tunnels goes first (Bridges.List does it when hosts are named).
            Bridges.SweepTunnels(CancellationToken);
            var bridges = new List<VncBridge>();
            foreach (var name in ResolveBridgeNames(names))
            {
                Try(name, () =>
                {
                    if (Bridges.Find(name, refreshTunnels, CancellationToken) is { } bridge)
                    {
                        bridges.Add(bridge);
                    }
                });
            }

            return bridges;
        }

        var targets = ResolveTargets();
        if (targets is null)
        {
            return Array.Empty<VncBridge>();
        }

        var ofHosts = Bridges.List((name, ex) => WriteError(ex, name), refreshTunnels, CancellationToken).Where(b => b.VmName is not null && targets.Any(t => t.ConnectionUri == b.ConnectionUri)).ToArray();
        var bridgeNames = names?.SelectMany(n => BridgeNames.IsHostBridge(n) ? new[] { n } : targets.Select(t => BridgeNames.Of(t, n))).Distinct();
        return ResolveByName(bridgeNames, ofHosts, b => b.Name, name => ToErrorRecord(HeadlessVmErrors.BridgeNotFound(name), name)!);
    }
}
