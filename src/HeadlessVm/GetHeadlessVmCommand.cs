using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>Lists VMs with their live state, read from the process and QMP each time.</summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVm")]
[OutputType(typeof(VmInfo))]
public sealed class GetHeadlessVmCommand : HeadlessVmCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        // All at once: the VMs are asked concurrently, one QMP round trip each.
        var names = ResolveVms(Name);
        Try(null, () => WriteObject(Vms.Inspect(names, (name, ex) => WriteError(ex, name)), enumerateCollection: true));
    }
}
