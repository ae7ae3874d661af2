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
            if (ShouldProcess(ComputerName, $"Register host for {uri}{(NoVerify ? string.Empty : " (after connecting to it)")}"))
            {
                WriteObject(Context.HostService.Connect(ComputerName, Uri, verify: !NoVerify, replace: Force, CancellationToken));
            }
        });
    }
}
