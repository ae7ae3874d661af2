using System.Management.Automation;
using HeadlessVm.Core.Console;

namespace HeadlessVm.Commands;

/// <summary>
/// The console URL of a VM or bridge, as a [uri] that Start-Process and Invoke-WebRequest take as is.
/// It autoconnects, scales the screen, and carries the token (query) and the VNC password (fragment).
/// </summary>
[Cmdlet(VerbsCommon.Get, "VmConsoleUrl")]
[OutputType(typeof(Uri))]
public sealed class GetVmConsoleUrlCommand : VncBridgeCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    public const string ConsoleUrlTypeName = "HeadlessVm.ConsoleUrl";

    protected override void ProcessRecord()
    {
        // A libvirt VM's bridge, by its HOST~VM name (a VncBridge piped in carries it).
        foreach (var bridge in Name.Where(BridgeNames.IsHostBridge))
        {
            Try(bridge, () => WriteUrl(Bridges.GetUrl(bridge, CancellationToken)));
        }

        var names = Name.Where(n => !BridgeNames.IsHostBridge(n)).ToArray();
        if (HostsNamed)
        {
            // The VMs of the hosts named: one console each, so a name on two hosts is AmbiguousVmName.
            foreach (var vm in ResolveVmsOnHosts(names, unique: true))
            {
                Try(vm.Name, vm.Host, () => WriteUrl(Bridges.GetUrl(vm.Host, vm.Name, CancellationToken)));
            }

            return;
        }

        // A name is a VM's or a -Target bridge's: a wildcard matches both kinds, and a plain name that is
        // neither is the core's BridgeNotFound.
        var known = new Lazy<IReadOnlyList<string>>(() => Vms.Names().Union(Bridges.Names()).ToArray());
        foreach (var name in names.SelectMany(n => WildcardPattern.ContainsWildcardCharacters(n)
                     ? known.Value.Where(WildcardPattern.Get(n, WildcardOptions.IgnoreCase).IsMatch)
                     : new[] { n }).Distinct())
        {
            Try(name, () => WriteUrl(Bridges.GetUrl(name, CancellationToken)));
        }
    }

    private void WriteUrl(Uri uri)
    {
        // Still a [uri] to every consumer; the extra type name gives it a one-line view at the prompt.
        var url = new PSObject(uri);
        url.TypeNames.Insert(0, ConsoleUrlTypeName);
        WriteObject(url);
    }
}
