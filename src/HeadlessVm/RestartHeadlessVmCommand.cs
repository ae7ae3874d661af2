using System.Management.Automation;
using HeadlessVm.Core.Model;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Restart, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmObject))]
public sealed class RestartHeadlessVmCommand : VmActionCmdlet
{
    protected override string Action => "Restart VM (hard reset)";

    protected override VmObject? Act(VmSpec spec) => Service.Restart(spec.Name, CancellationToken);
}
