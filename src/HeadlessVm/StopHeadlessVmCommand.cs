using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Presses the guest's ACPI power button, waits up to -TimeoutSec, then powers off with a warning.
/// -Force powers off at once. Ctrl+C stops the waiting, not the VM.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmInfo))]
public sealed class StopHeadlessVmCommand : VmActionCmdlet
{
    [Parameter]
    [InvariantNumber(EmptyIsNotGiven = false)]
    [ValidateRange(0, 86400)]
    public int TimeoutSec { get; set; } = 60;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override string Action => Force
        ? "Power off VM at once"
        : $"Shut down VM (ACPI power button, power off after {TimeoutSec} s)";

    private readonly List<string> _names = new();

    /// <summary>Collects the confirmed VMs: they are stopped together at the end, so that their guests shut down side by side.</summary>
    protected override void Process(string name)
    {
        if (!_names.Contains(name))
        {
            _names.Add(name);
        }
    }

    protected override void EndProcessing()
    {
        try
        {
            var stopped = new Dictionary<string, VmInfo>();
            Vms.Stop(_names, TimeSpan.FromSeconds(TimeoutSec), Force, vm => stopped[vm.Name] = vm,
                (name, ex) => WriteError(ex, name), CancellationToken);
            if (PassThru)
            {
                // In the order the VMs came down the pipeline.
                foreach (var name in _names.Where(stopped.ContainsKey))
                {
                    WriteObject(stopped[name]);
                }
            }
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            base.EndProcessing();
        }
    }
}
