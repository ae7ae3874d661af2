using System.Management.Automation;
using HeadlessVm.Core.Model;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Start, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmObject))]
public sealed class StartHeadlessVmCommand : VmActionCmdlet
{
    protected override string Action => "Start VM (run qemu)";

    protected override VmObject? Act(VmSpec spec) => Service.Start(spec.Name, CancellationToken);
}
