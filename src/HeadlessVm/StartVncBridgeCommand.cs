using System.Management.Automation;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Commands;

/// <summary>
/// Serves a VM's screen (or any VNC server's, with -Target) to a browser: a detached websockify with the
/// noVNC web client, behind a random token. A VM that already has a running bridge gets that bridge back.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "VncBridge", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VncBridge))]
public sealed class StartVncBridgeCommand : VncBridgeCmdlet
{
    private const string VmSet = "Vm";
    private const string TargetSet = "Target";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = VmSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("Name")]
    public string[] VmName { get; set; } = Array.Empty<string>();

    /// <summary>Any VNC server, host:port (e.g. 192.168.1.20:5901).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TargetSet)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = string.Empty;

    /// <summary>The name of a -Target bridge; defaults to host-port.</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [ValidateNotNullOrEmpty]
    public string? BridgeName { get; set; }

    /// <summary>The web (and WebSocket) port; 6080, or the next free port when 6080 is taken.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int WebPort { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>The noVNC web client folder; /usr/share/novnc by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WebRoot { get; set; }

    /// <summary>A PEM certificate (with its key, or with -KeyPath): serve https and wss only.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == TargetSet)
        {
            Start(null, BridgeName ?? Target);
            return;
        }

        foreach (var spec in ResolveVms(VmName))
        {
            Start(spec.Name, spec.Name);
        }
    }

    private void Start(string? vmName, string target)
    {
        var port = MyInvocation.BoundParameters.ContainsKey(nameof(WebPort)) ? WebPort : (int?)null;
        var where = $"{ListenAddress}:{(port?.ToString() ?? $"{BridgeService.DefaultWebPort} or the next free port")}";
        if (!ShouldProcess(target, $"Start a browser console bridge (websockify + noVNC) on {where}"))
        {
            return;
        }

        Try(target, () =>
        {
            var request = new BridgeRequest(vmName, vmName is null ? Target : null, vmName is null ? BridgeName : null, port,
                ListenAddress, ResolvePath(WebRoot), ResolvePath(CertificatePath), ResolvePath(KeyPath));
            var bridge = Bridges.Start(request, CancellationToken);
            if (!Ports.IsLoopback(bridge.ListenAddress) && !bridge.Secure)
            {
                WriteWarning($"The console of '{bridge.Name}' listens on {bridge.ListenAddress} without TLS: the token and the screen cross the network in clear text. Pass -CertificatePath to serve https.");
            }

            WriteObject(bridge);
        });
    }
}
