using System.Management.Automation;
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
    /// The bridges that <paramref name="names"/> name (wildcards expanded), each once; every bridge when null (of the
    /// hosts named, when hosts are named). A plain name with no bridge is a non-terminating BridgeNotFound error.
    /// <paramref name="refreshTunnels"/> makes each tunnelled console's ssh forward good first (not worth it for bridges about to stop).
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
            return ResolveByName(names, Bridges.List(refreshTunnels, CancellationToken), b => b.Name, name => ToErrorRecord(HeadlessVmErrors.BridgeNotFound(name), name)!);
        }

        var targets = ResolveTargets();
        if (targets is null)
        {
            return Array.Empty<VncBridge>();
        }

        var ofHosts = Bridges.List(refreshTunnels, CancellationToken).Where(b => b.VmName is not null && targets.Any(t => t.ConnectionUri == b.ConnectionUri)).ToArray();
        var bridgeNames = names?.SelectMany(n => BridgeNames.IsHostBridge(n) ? new[] { n } : targets.Select(t => BridgeNames.Of(t, n))).Distinct();
        return ResolveByName(bridgeNames, ofHosts, b => b.Name, name => ToErrorRecord(HeadlessVmErrors.BridgeNotFound(name), name)!);
    }
}
