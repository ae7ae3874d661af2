using System.Management.Automation;
using HeadlessVm.Core.Model;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

[Cmdlet(VerbsLifecycle.Start, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmObject))]
public sealed class StartHeadlessVmCommand : VmActionCmdlet
{
    /// <summary>Start qemu with the guest's CPUs stopped (qemu -S); Resume-HeadlessVm runs them.</summary>
    [Parameter]
    public SwitchParameter Paused { get; set; }

    protected override string Action => Paused ? "Start VM paused (run qemu -S)" : "Start VM (run qemu)";

    protected override VmObject? Act(VmSpec spec) => Service.Start(spec.Name, CancellationToken, Paused);
}
