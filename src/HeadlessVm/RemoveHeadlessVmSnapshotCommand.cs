using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>Deletes checkpoints of VMs from every disk that holds them (QMP snapshot-delete on a running VM, qemu-img on a stopped one).</summary>
[Cmdlet(VerbsCommon.Remove, "HeadlessVmSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(VmSnapshot))]
public sealed class RemoveHeadlessVmSnapshotCommand : SnapshotCmdlet
{
    /// <summary>The checkpoints to delete (wildcards); a plain name a VM lacks is SnapshotNotFound for that VM.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SnapshotNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] SnapshotName { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (var vm in ResolveVmsOnHosts(Name))
        {
            IReadOnlyList<VmSnapshot> snapshots = Array.Empty<VmSnapshot>();
            if (!Try(vm.Name, vm.Host, () => snapshots = Select(this, vm, Backend(vm.Host).GetSnapshots(vm.Name, CancellationToken), SnapshotName)))
            {
                continue;
            }

            // Each checkpoint on its own: one that fails is its error, and the others still go.
            foreach (var snapshot in snapshots.Where(s => ShouldProcess(Describe(vm, s.SnapshotName), "Remove")))
            {
                Try(vm.Name, vm.Host, () =>
                {
                    var removed = Backend(vm.Host).RemoveSnapshot(vm.Name, snapshot.SnapshotName, CancellationToken);
                    if (PassThru)
                    {
                        WriteObject(removed);
                    }
                });
            }
        }
    }
}
