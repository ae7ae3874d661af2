using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Restart, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmInfo))]
public sealed class RestartHeadlessVmCommand : VmActionCmdlet
{
    protected override string Action => "Restart VM (hard reset)";

    protected override VmInfo? Act(IVmBackend vms, string name) => vms.Restart(name, CancellationToken);
}
