using System.Management.Automation;
using HeadlessVm.Core.Model;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Suspend, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmObject))]
public sealed class SuspendHeadlessVmCommand : VmActionCmdlet
{
    protected override string Action => "Pause VM (QMP stop)";

    protected override VmObject? Act(VmSpec spec) => Service.Suspend(spec.Name, CancellationToken);
}
