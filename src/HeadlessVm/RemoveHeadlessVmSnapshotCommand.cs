using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Deletes checkpoints of VMs from every disk that holds them (QMP snapshot-delete on a running VM, qemu-img on a
/// stopped one), asking about each checkpoint. Checkpoints from Get-HeadlessVmSnapshot pipe in.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "HeadlessVmSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(VmSnapshot))]
public sealed class RemoveHeadlessVmSnapshotCommand : VmActionCmdlet
{
    /// <summary>The checkpoints to delete (wildcards); a plain name a VM lacks is SnapshotNotFound for that VM.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SnapshotNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] SnapshotName { get; set; } = Array.Empty<string>();

    protected override string Action => "Remove checkpoint";

    /// <summary>Asks about each checkpoint, not each VM; each is removed on its own, so one that fails does not keep the others.</summary>
    protected override void ProcessRecord()
    {
        foreach (var vm in ResolveVmsOnHosts(Name))
        {
            IReadOnlyList<VmSnapshot> snapshots = Array.Empty<VmSnapshot>();
            if (!Try(vm.Name, vm.Host, () => snapshots = SelectSnapshots(vm, Backend(vm.Host).GetSnapshots(vm.Name, CancellationToken), SnapshotName)))
            {
                continue;
            }

            foreach (var snapshot in snapshots.Where(s => ShouldProcess($"checkpoint '{s.SnapshotName}' of VM '{Describe(vm)}'", Action)))
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
