using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Puts each VM back to a checkpoint: a running VM resumes exactly where it was then (QMP snapshot-load of its memory,
/// devices and disks); a stopped VM gets its disks back (qemu-img snapshot -a) and boots afresh from them. A checkpoint
/// from Get-HeadlessVmSnapshot pipes in (its VmName binds to -Name, its SnapshotName to -SnapshotName).
/// </summary>
[Cmdlet(VerbsData.Restore, "HeadlessVmSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(VmSnapshot))]
public sealed class RestoreHeadlessVmSnapshotCommand : VmActionCmdlet
{
    /// <summary>The checkpoint to go back to.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SnapshotNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string SnapshotName { get; set; } = string.Empty;

    protected override string Action => $"Restore checkpoint '{SnapshotName}' (what the VM did since is lost)";

    protected override void Process(VmOnHost vm) => Try(vm.Name, vm.Host, () =>
    {
        var snapshot = Backend(vm.Host).RestoreSnapshot(vm.Name, SnapshotName, CancellationToken);
        if (PassThru)
        {
            WriteObject(snapshot);
        }
    });
}
