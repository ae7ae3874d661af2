using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Closes this session's connection to a host; -Forget also removes it from hosts.json. Its VMs keep running.
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "HeadlessVmHost", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(HostInfo))]
public sealed class DisconnectHeadlessVmHostCommand : HeadlessVmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public string[] ComputerName { get; set; } = Array.Empty<string>();

    /// <summary>Also remove the host from hosts.json.</summary>
    [Parameter]
    public SwitchParameter Forget { get; set; }

    /// <summary>Emit the host as it is afterwards.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var registered = Context.HostService.List().Select(h => h.ComputerName).ToArray();
        var names = ComputerName.SelectMany(n => WildcardPattern.ContainsWildcardCharacters(n)
            ? registered.Where(WildcardPattern.Get(n, WildcardOptions.IgnoreCase).IsMatch)
            : new[] { n }).Distinct(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            if (!ShouldProcess(name, Forget ? "Close the connection and forget the host" : "Close the connection"))
            {
                continue;
            }

            Try(name, () =>
            {
                var host = Context.HostService.Disconnect(name, Forget);
                if (PassThru)
                {
                    WriteObject(host);
                }
            });
        }
    }
}
