using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Suspend, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmInfo))]
public sealed class SuspendHeadlessVmCommand : VmActionCmdlet
{
    protected override string Action => "Pause VM (QMP stop)";

    protected override VmInfo? Act(IVmBackend vms, string name) => vms.Suspend(name, CancellationToken);
}
