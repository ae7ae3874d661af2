using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>Gives a stopped VM a new name (its folder in the state store moves with it): Set-HeadlessVm -NewName.</summary>
[Cmdlet(VerbsCommon.Rename, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmInfo))]
public sealed class RenameHeadlessVmCommand : VmActionCmdlet
{
    /// <summary>The VM's new name; a script block gives each piped VM its own ({ "$($_.Name)-old" }).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string NewName { get; set; } = string.Empty;

    protected override string Action => $"Rename VM to '{NewName}'";

    protected override VmInfo? Act(IVmBackend vms, string name) => vms.Set(name, new VmChange { NewName = NewName }, CancellationToken);
}
