using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Takes a checkpoint of each VM: memory, devices and every qcow2 disk of a running VM (QMP snapshot-save; its CPUs
/// stop while it is written), the disks alone of a stopped one (qemu-img snapshot). -PassThru emits the checkpoint.
/// </summary>
[Cmdlet(VerbsData.Checkpoint, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmSnapshot))]
public sealed class CheckpointHeadlessVmCommand : VmActionCmdlet
{
    /// <summary>The checkpoint's name; VM-yyyyMMdd-HHmmss (local time) when not given.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? SnapshotName { get; set; }

    /// <summary>What the checkpoint is for; Get-HeadlessVmSnapshot shows it.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? Description { get; set; }

    protected override string Action => SnapshotName is null
        ? "Take a checkpoint (memory and disks of a running VM, disks of a stopped one)"
        : $"Take checkpoint '{SnapshotName}' (memory and disks of a running VM, disks of a stopped one)";

    protected override void Process(VmOnHost vm) => Try(vm.Name, vm.Host, () =>
    {
        var snapshot = Backend(vm.Host).Checkpoint(vm.Name, SnapshotName, Description, CancellationToken);
        if (PassThru)
        {
            WriteObject(snapshot);
        }
    });
}
