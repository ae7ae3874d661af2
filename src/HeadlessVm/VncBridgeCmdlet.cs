using System.Management.Automation;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>The base of the console cmdlets: the bridge service that Extensions.Attach registered on the VM service.</summary>
public abstract class VncBridgeCmdlet : HeadlessVmCmdlet
{
    private BridgeService? _bridges;

    protected BridgeService Bridges => _bridges ??=
        Service.Companions.OfType<BridgeService>().FirstOrDefault() ?? new BridgeService(Service);

    /// <summary>
    /// The bridges that <paramref name="names"/> name (wildcards expanded), each once; every bridge when null.
    /// A plain name with no bridge is a non-terminating BridgeNotFound error.
    /// </summary>
    protected IReadOnlyList<VncBridge> ResolveBridges(IEnumerable<string>? names)
    {
        var all = Bridges.List();
        if (names is null)
        {
            return all;
        }

        var result = new List<VncBridge>();
        foreach (var name in names)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                result.AddRange(all.Where(b => pattern.IsMatch(b.Name)));
            }
            else if (all.FirstOrDefault(b => b.Name == name) is { } match)
            {
                result.Add(match);
            }
            else
            {
                WriteError(new ErrorRecord(
                    new ItemNotFoundException($"There is no console bridge named '{name}'. Get-VncBridge lists the bridges there are; Start-VncBridge starts one."),
                    "BridgeNotFound", ErrorCategory.ObjectNotFound, name));
            }
        }

        return result.DistinctBy(b => b.Name).ToArray();
    }
}
