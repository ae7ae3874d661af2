using System.Management.Automation;
using HeadlessVm.Core.Model;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Resume, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmObject))]
public sealed class ResumeHeadlessVmCommand : VmActionCmdlet
{
    protected override string Action => "Resume VM (QMP cont)";

    protected override VmObject? Act(VmSpec spec) => Service.Resume(spec.Name, CancellationToken);
}
