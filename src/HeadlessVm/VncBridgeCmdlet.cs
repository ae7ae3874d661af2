using System.Management.Automation;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>The base of the console cmdlets: the bridge service that Extensions.Attach registered on the VM service.</summary>
public abstract class VncBridgeCmdlet : HeadlessVmCmdlet
{
    private BridgeService? _bridges;

    protected BridgeService Bridges => _bridges ??=
        Service.Companions.OfType<BridgeService>().FirstOrDefault() ?? new BridgeService(Service);

    /// <summary>
    /// The bridges that <paramref name="names"/> name (wildcards expanded), each once; every bridge when null.
    /// A plain name with no bridge is a non-terminating BridgeNotFound error.
    /// </summary>
    protected IReadOnlyList<VncBridge> ResolveBridges(IEnumerable<string>? names) =>
        ResolveByName(names, Bridges.List(), b => b.Name, name => new ErrorRecord(
            new ItemNotFoundException($"There is no console bridge named '{name}'. Get-VncBridge lists the bridges there are; Start-VncBridge starts one."),
            "BridgeNotFound", ErrorCategory.ObjectNotFound, name));
}
