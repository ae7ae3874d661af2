using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>Lists the checkpoints of VMs (every VM's when no name is given), oldest first; -SnapshotName filters them.</summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVmSnapshot")]
[OutputType(typeof(VmSnapshot))]
public sealed class GetHeadlessVmSnapshotCommand : VmCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[]? Name { get; set; }

    /// <summary>Only the checkpoints of these names (wildcards); a plain name a VM lacks is SnapshotNotFound for that VM.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SnapshotNameCompleter))]
    public string[]? SnapshotName { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var vm in ResolveVmsOnHosts(Name))
        {
            Try(vm.Name, vm.Host, () =>
            {
                var all = Backend(vm.Host).GetSnapshots(vm.Name, CancellationToken);
                WriteObject(SelectSnapshots(vm, all, SnapshotName), enumerateCollection: true);
            });
        }
    }
}
