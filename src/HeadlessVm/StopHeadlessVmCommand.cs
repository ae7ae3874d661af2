using System.Management.Automation;
using HeadlessVm.Core.Model;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

/// <summary>
/// Presses the guest's ACPI power button, waits up to -TimeoutSec, then powers off with a warning.
/// -Force powers off at once. Ctrl+C stops the waiting, not the VM.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmObject))]
public sealed class StopHeadlessVmCommand : VmActionCmdlet
{
    [Parameter]
    [ValidateRange(0, 86400)]
    public int TimeoutSec { get; set; } = 60;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override string Action => Force
        ? "Power off VM at once"
        : $"Shut down VM (ACPI power button, power off after {TimeoutSec} s)";

    protected override VmObject? Act(VmSpec spec) =>
        Service.Stop(spec.Name, TimeSpan.FromSeconds(TimeoutSec), Force, CancellationToken);
}
