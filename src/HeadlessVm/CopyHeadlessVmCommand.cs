using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Makes a new VM from an existing one: a new record with a new MAC address and its own disks (full copies through
/// qemu-img convert, or with -Linked qcow2 overlays on the source's disks). A running source is copied from one of
/// its checkpoints (-SnapshotName). The copy is created stopped.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = FullSet)]
[OutputType(typeof(VmInfo))]
public sealed class CopyHeadlessVmCommand : VmActionCmdlet
{
    private const string FullSet = "Full";
    private const string LinkedSet = "Linked";

    /// <summary>The copy's name; a script block gives each piped VM its own ({ "$($_.Name)-copy" }).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string NewName { get; set; } = string.Empty;

    /// <summary>Overlays on the source's disks instead of full copies.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LinkedSet)]
    public SwitchParameter Linked { get; set; }

    /// <summary>Copy the disks as they were at this checkpoint of the source (which may then be running).</summary>
    [Parameter(ParameterSetName = FullSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SnapshotNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? SnapshotName { get; set; }

    /// <summary>Where the copy's disks go (an existing folder); beside each source disk when not given. Per piped VM from a script block.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? DiskFolder { get; set; }

    protected override string Action => $"Copy VM to '{NewName}' ({(Linked ? "linked: overlays on its disks" : "full copies of its disks")}" +
        (SnapshotName is null ? ")" : $", from checkpoint '{SnapshotName}')");

    protected override VmInfo? Act(IVmBackend vms, string name) =>
        vms.Copy(name, NewName, Linked, SnapshotName, ResolvePath(DiskFolder), CancellationToken);
}
