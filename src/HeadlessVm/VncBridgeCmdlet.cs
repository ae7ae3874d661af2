using System.Management.Automation;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>The base of the console cmdlets: the core's bridges, and bridge names resolved like VM names.</summary>
public abstract class VncBridgeCmdlet : HeadlessVmCmdlet
{
    protected Bridges Bridges => Context.Bridges;

    /// <summary>
    /// The bridges that <paramref name="names"/> name (wildcards expanded), each once; every bridge when null.
    /// A plain name with no bridge is a non-terminating BridgeNotFound error.
    /// </summary>
    protected IReadOnlyList<VncBridge> ResolveBridges(IEnumerable<string>? names) =>
        ResolveByName(names, Bridges.List(), b => b.Name, name => ToErrorRecord(HeadlessVmErrors.BridgeNotFound(name), name)!);
}
