using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Revokes a bridge's token and ends that console's connections; its console server (websockify) stops
/// with its last bridge. The VM keeps running.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "VncBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VncBridge))]
public sealed class StopVncBridgeCommand : VncBridgeCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var bridge in ResolveBridges(Name, refreshTunnels: false))
        {
            var what = bridge.ProcessId is { } pid ? $" on console server PID {pid}" : string.Empty;
            if (!ShouldProcess(bridge.Name, $"Stop the browser console bridge{what} and revoke its token"))
            {
                continue;
            }

            Try(bridge.Name, () =>
            {
                var stopped = Bridges.Stop(bridge.Name, CancellationToken);
                if (PassThru)
                {
                    WriteObject(stopped);
                }
            });
        }
    }
}
