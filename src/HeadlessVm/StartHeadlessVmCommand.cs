using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Start, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmInfo))]
public sealed class StartHeadlessVmCommand : VmActionCmdlet
{
    /// <summary>Start qemu with the guest's CPUs stopped (qemu -S); Resume-HeadlessVm runs them.</summary>
    [Parameter]
    public SwitchParameter Paused { get; set; }

    protected override string Action => Paused ? "Start VM paused (run qemu -S)" : "Start VM (run qemu)";

    protected override VmInfo? Act(IVmBackend vms, string name) => vms.Start(name, Paused, CancellationToken);
}
