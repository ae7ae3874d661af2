using System.Management.Automation;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

/// <summary>Lists VMs with their live state, read from the process and QMP each time.</summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVm")]
[OutputType(typeof(VmObject))]
public sealed class GetHeadlessVmCommand : HeadlessVmCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        // All at once: the VMs are asked concurrently, one QMP round trip each.
        var specs = ResolveVms(Name);
        Try(null, () => WriteObject(Service.Inspect(specs), enumerateCollection: true));
    }
}
