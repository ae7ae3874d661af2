using System.Management.Automation;
using HeadlessVm.Core.Model;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

/// <summary>
/// Deletes a VM's record and the files the module made for it (never the user's ISO or disk images).
/// A running VM needs -Force, which powers it off first.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmObject))]
public sealed class RemoveHeadlessVmCommand : VmActionCmdlet
{
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override string Action => Force ? "Power off if running, then remove VM record" : "Remove VM record";

    protected override VmObject? Act(VmSpec spec)
    {
        var before = Service.Inspect(spec);
        Service.Remove(spec.Name, Force, CancellationToken);
        return before;
    }
}
