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

    private readonly List<VmOnHost> _vms = new();

    /// <summary>Collects the confirmed VMs: they are stopped together at the end, so that their guests shut down side by side.</summary>
    protected override void Process(VmOnHost vm)
    {
        if (!_vms.Contains(vm))
        {
            _vms.Add(vm);
        }
    }

    protected override void EndProcessing()
    {
        try
        {
            // Each host stops its VMs together, the hosts at the same time; what they report comes back here.
            var hosts = _vms.Select(v => v.Host).Distinct().ToArray();
            var stopped = new System.Collections.Concurrent.ConcurrentDictionary<VmOnHost, VmInfo>();
            var failures = new System.Collections.Concurrent.ConcurrentQueue<(VmOnHost Vm, Exception Error)>();
            AskHosts(hosts, vms =>
            {
                vms.Stop(_vms.Where(v => v.Host == vms.Location).Select(v => v.Name).ToArray(), TimeSpan.FromSeconds(TimeoutSec), Force,
                    vm => stopped[new VmOnHost(vms.Location, vm.Name)] = vm,
                    (name, ex) => failures.Enqueue((new VmOnHost(vms.Location, name), ex)), CancellationToken);
                return true;
            });
            foreach (var (vm, ex) in failures)
            {
                if (ToErrorRecord(ex, vm.Name) is { } record)
                {
                    WriteError(OnHost(record, vm.Host));
                }
            }

            if (PassThru)
            {
                // In the order the VMs came down the pipeline.
                var output = _vms.Where(stopped.ContainsKey).Select(v => stopped[v]).ToArray();
                WriteVms(output, SpanHosts(output));
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
