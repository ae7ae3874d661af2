using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>Lists console bridges with their live state: a killed websockify shows as Stopped.</summary>
[Cmdlet(VerbsCommon.Get, "VncBridge")]
[OutputType(typeof(VncBridge))]
public sealed class GetVncBridgeCommand : VncBridgeCmdlet
{
    // -Name first, -VmName as alias: a VncBridge binds by its Name, which a -Target bridge has too.
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var bridge in ResolveBridges(Name))
        {
            WriteObject(bridge);
        }
    }
}
