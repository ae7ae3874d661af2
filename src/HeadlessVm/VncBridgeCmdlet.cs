using System.Management.Automation;
using HeadlessVm.Core;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>The base of the console cmdlets: the core's bridges, and bridge names resolved like VM names.</summary>
public abstract class VncBridgeCmdlet : HeadlessVmCmdlet
{
    protected Bridges Bridges => Context.Bridges;

    /// <summary>
    /// The names of the bridges that <paramref name="names"/> name (wildcards expanded), each once; every
    /// bridge's when null, a damaged one's too. A plain name with no bridge is a non-terminating BridgeNotFound error.
    /// </summary>
    protected IReadOnlyList<string> ResolveBridgeNames(IEnumerable<string>? names) =>
        ResolveByName(names, Bridges.Names(), b => b, name => ToErrorRecord(HeadlessVmErrors.BridgeNotFound(name), name)!);

    /// <summary>
    /// The bridges that <paramref name="names"/> name, with their live state; one whose record or token is
    /// damaged is a non-terminating BridgeRecordDamaged error, and the others are still returned.
    /// </summary>
    protected IReadOnlyList<VncBridge> ResolveBridges(IEnumerable<string>? names)
    {
        var bridges = new List<VncBridge>();
        foreach (var name in ResolveBridgeNames(names))
        {
            Try(name, () =>
            {
                if (Bridges.Find(name) is { } bridge)
                {
                    bridges.Add(bridge);
                }
            });
        }

        return bridges;
    }
}
