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
        // By name: a bridge whose record is damaged can be stopped (that is how it is removed). With hosts
        // named, the names are their VMs' HOST~VM bridges.
        var names = HostsNamed ? ResolveBridges(Name, refreshTunnels: false).Select(b => b.Name).ToArray() : ResolveBridgeNames(Name);
        foreach (var name in names)
        {
            if (!ShouldProcess(name, $"Stop the browser console bridge{ServerOf(name)} and revoke its token"))
            {
                continue;
            }

            Try(name, () =>
            {
                var stopped = Bridges.Stop(name, CancellationToken);
                if (PassThru && stopped is not null)
                {
                    WriteObject(stopped);
                }
            });
        }
    }

    /// <summary>" on console server PID N" when the bridge can be read and its server runs.</summary>
    private string ServerOf(string name)
    {
        try
        {
            return Bridges.Find(name)?.ProcessId is { } pid ? $" on console server PID {pid}" : string.Empty;
        }
        catch (HeadlessVm.Core.HeadlessVmException)
        {
            return " (its record is damaged)";
        }
    }
}
