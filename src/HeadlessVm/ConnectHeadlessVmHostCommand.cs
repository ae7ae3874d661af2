using System.Management.Automation;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Registers a host under a name, for -ComputerName: its libvirt URI goes into hosts.json in the state folder (0600).
/// The connection is opened first (and kept for this session) unless -NoVerify, so a host that does not answer is
/// not registered.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "HeadlessVmHost", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(HostInfo))]
public sealed class ConnectHeadlessVmHostCommand : HeadlessVmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ComputerName { get; set; } = string.Empty;

    /// <summary>The libvirt URI; qemu+ssh://NAME/system when left out.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("ConnectionUri")]
    [ValidateNotNullOrEmpty]
    public string? Uri { get; set; }

    /// <summary>
    /// How the consoles of the host's VMs are reached when its URI does not say (qemu+tls://, qemu+tcp://): ssh://[USER@]HOST[:PORT]
    /// (optionally ?keyfile=PATH&amp;command=PROGRAM), an ssh endpoint to tunnel through, or Direct (straight to the VMs' VNC, unencrypted).
    /// Checked by the core (InvalidConsoleVia).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? ConsoleVia { get; set; }

    /// <summary>Register without opening a connection first.</summary>
    [Parameter]
    public SwitchParameter NoVerify { get; set; }

    /// <summary>Replace the URI of a name already registered with another.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        Try(ComputerName, () =>
        {
            var uri = Uri is null ? TargetResolver.SshUri(ComputerName) : TargetResolver.Normalise(Uri);
            var consoles = ConsoleVia is null ? string.Empty : $", consoles via {ConsoleVia}";
            if (ShouldProcess(ComputerName, $"Register host for {uri}{consoles}{(NoVerify ? string.Empty : " (after connecting to it)")}"))
            {
                WriteObject(Context.HostService.Connect(ComputerName, Uri, verify: !NoVerify, replace: Force, CancellationToken, ConsoleVia));
            }
        });
    }
}
