using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Deletes a VM's record and the files the module made for it (never the user's ISO or disk images).
/// A running VM needs -Force, which powers it off first.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmInfo))]
public sealed class RemoveHeadlessVmCommand : VmActionCmdlet
{
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override string Action => Force ? "Power off if running, then remove VM record" : "Remove VM record";

    /// <summary>The VM as it was before it went.</summary>
    protected override VmInfo? Act(IVmBackend vms, string name) => vms.Remove(name, Force, CancellationToken);
}
