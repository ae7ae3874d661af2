using System.Management.Automation;
using HeadlessVm.Core;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Serves a VM's screen (or any VNC server's, with -Target) to a browser through a console server (a
/// detached websockify with the noVNC web client), behind a random token per bridge. Bridges with the
/// same settings share one server; a VM that already has a running bridge gets that bridge back.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "VncBridge", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VncBridge))]
public sealed class StartVncBridgeCommand : VncBridgeCmdlet, IDisposable
{
    private const string VmSet = "Vm";
    private const string TargetSet = "Target";

    /// <summary>The VMs to bridge. -VmName is its alias: a bridge has a name of its own (-BridgeName).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = VmSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Any VNC server, host:port (e.g. 192.168.1.20:5901).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TargetSet)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = string.Empty;

    /// <summary>The name of a -Target bridge; defaults to host-port.</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [ValidateNotNullOrEmpty]
    public string? BridgeName { get; set; }

    /// <summary>The web (and WebSocket) port; 6080, or the next free port when 6080 is taken. Checked by the core.</summary>
    [Parameter]
    [InvariantNumber(EmptyIsNotGiven = false)]
    public int WebPort { get; set; }

    /// <summary>Checked by the core (InvalidListenAddress), as a VM's is.</summary>
    [Parameter]
    public string ListenAddress { get; set; } = ConsoleSettings.DefaultListenAddress;

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

    /// <summary>Replace a running bridge whose settings differ from those given (its URL changes), instead of refusing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private Task<ConsoleServerRecord?>? _prepared;
    private BufferedVmHost? _preparedLog;
    private Bridges? _preparer;

    protected override void BeginProcessing()
    {
        // With VMs coming down the pipeline (New-HeadlessVm ... | Start-VncBridge), they arrive only once
        // qemu has started. The console server does not depend on any VM, so it starts now, alongside:
        // the console is up in the time of the slower of the two, not their sum.
        if (ParameterSetName != VmSet || MyInvocation.BoundParameters.ContainsKey(nameof(Name)) || !MyInvocation.ExpectingInput
            || MyInvocation.BoundParameters.ContainsKey("WhatIf") || MyInvocation.BoundParameters.ContainsKey("Confirm")
            || LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference")))
        {
            return;
        }

        var request = Request(null);
        // Its own context on another thread: what it reports is kept and replayed on the pipeline thread.
        var log = new BufferedVmHost();
        var bridges = new HeadlessVmContext(Context.Paths, log).Bridges;
        var cancellation = CancellationToken;
        _preparedLog = log;
        _preparer = bridges;
        _prepared = Task.Run(() =>
        {
            try
            {
                return bridges.Prepare(request, cancellation);
            }
            catch (Exception ex)
            {
                // Only a head start: the first VM's own Start reports any failure, with that VM as its target.
                log.Debug($"Starting the console server ahead of the VMs failed: {ex.Message}");
                return null;
            }
        });
    }

    protected override void ProcessRecord()
    {
        if (_prepared is not null)
        {
            try
            {
                _prepared.Wait(CancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new PipelineStoppedException();
            }

            _preparedLog?.ReplayTo(this);
        }

        if (ParameterSetName == TargetSet)
        {
            Start(null, BridgeName ?? Target);
            return;
        }

        foreach (var vm in ResolveVmsOnHosts(Name, unique: true))
        {
            Start(vm, Describe(vm));
        }
    }

    private void Start(VmOnHost? vm, string target)
    {
        var port = MyInvocation.BoundParameters.ContainsKey(nameof(WebPort)) ? WebPort : (int?)null;
        var where = $"{ListenAddress}:{(port?.ToString() ?? $"{ConsoleServers.DefaultWebPort} or the next free port")}";
        if (!ShouldProcess(target, $"Start a browser console bridge (websockify + noVNC) on {where}"))
        {
            return;
        }

        Try(vm?.Name ?? target, vm?.Host ?? HostTarget.Local, () =>
        {
            WriteObject(Bridges.Start(Request(vm?.Name) with { Host = vm?.Host }, CancellationToken));
        });
    }

    protected override void EndProcessing()
    {
        StopUnusedServer();
        base.EndProcessing();
    }

    public void Dispose() => StopUnusedServer();

    /// <summary>What was asked: a setting not given is null, so that a running bridge is not held to its default.</summary>
    private BridgeRequest Request(string? vmName) => new(vmName, vmName is null && ParameterSetName == TargetSet ? Target : null,
        vmName is null && ParameterSetName == TargetSet ? BridgeName : null,
        MyInvocation.BoundParameters.ContainsKey(nameof(WebPort)) ? WebPort : null,
        MyInvocation.BoundParameters.ContainsKey(nameof(ListenAddress)) ? ListenAddress : null,
        ResolvePath(WebRoot), ResolvePath(CertificatePath), ResolvePath(KeyPath), Force);

    /// <summary>A server started ahead of a pipeline that brought no VM (it failed, or was stopped) is not left behind.</summary>
    private void StopUnusedServer()
    {
        var prepared = _prepared;
        _prepared = null;
        if (prepared is null)
        {
            return;
        }

        try
        {
            prepared.Wait();
            if (prepared.Result is { } server)
            {
                // Not this cmdlet's own service: this may run in Dispose, when writing to the pipeline is over.
                _preparer?.StopIfIdle(server);
            }
        }
        catch (Exception ex) when (ex is AggregateException or IOException or HeadlessVmException)
        {
            // Best effort: a server that could not be checked is listed by Get-VncBridge's owner next time.
        }
    }
}
