using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Resume, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmInfo))]
public sealed class ResumeHeadlessVmCommand : VmActionCmdlet
{
    protected override string Action => "Resume VM (QMP cont)";

    protected override VmInfo? Act(IVmBackend vms, string name) => vms.Resume(name, CancellationToken);
}
