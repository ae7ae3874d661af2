using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HeadlessVm.Core;
using HeadlessVm.Core.State;

namespace HeadlessVm.Commands;

/// <summary>
/// Completes -Name / -VmName with the VMs in the store, or, when the command line already names hosts with
/// -ComputerName or -ConnectionUri, with those hosts' VMs (asked at once, for at most <see cref="HostWait"/>).
/// </summary>
public sealed class VmNameCompleter : IArgumentCompleter
{
    /// <summary>How long completion waits for the hosts named: a tab press must not hang on a host that is down.</summary>
    public static readonly TimeSpan HostWait = TimeSpan.FromSeconds(3);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
        IReadOnlyList<string> names;
        try
        {
            names = Names(new HeadlessVmContext(StatePaths.FromEnvironment(resolve: ResolveAgainstLocation)), fakeBoundParameters);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HeadlessVmException)
        {
            yield break;
        }

        foreach (var name in names.Where(n => pattern.IsMatch(n)))
        {
            yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
        }
    }

    private static IReadOnlyList<string> Names(HeadlessVmContext context, IDictionary bound)
    {
        var hosts = Strings(bound, "ComputerName");
        var uris = Strings(bound, "ConnectionUri");
        if (hosts.Length == 0 && uris.Length == 0)
        {
            return context.Vms.Names();
        }

        return AskHosts(context, hosts, uris, vms => vms.Names()).Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// What <paramref name="ask"/> returns from each host the command line names, asked at once; hosts that fail or take
    /// longer than <see cref="HostWait"/> add nothing.
    /// </summary>
    internal static IReadOnlyList<string> AskHosts(HeadlessVmContext context, string[] hosts, string[] uris, Func<Core.Backends.IVmBackend, IEnumerable<string>> ask)
    {
        var targets = context.Targets.Resolve(hosts, uris);
        using var give = new CancellationTokenSource(HostWait);
        var asked = Task.Run(() => context.FanOut.Run(targets, vms => ask(vms).ToArray(), give.Token));
        try
        {
            if (!asked.Wait(HostWait))
            {
                return Array.Empty<string>();
            }
        }
        catch (AggregateException)
        {
            return Array.Empty<string>();
        }

        return asked.Result.Where(a => a.Failure is null).SelectMany(a => a.Value!).ToArray();
    }

    internal static string[] Strings(IDictionary bound, string key) => bound.Contains(key)
        ? LanguagePrimitives.ConvertTo<string[]>(bound[key]) ?? Array.Empty<string>()
        : Array.Empty<string>();

    /// <summary>
    /// A relative HEADLESSVM_HOME against PowerShell's current location, as the cmdlets resolve it. A
    /// completer has no session state of its own, so it asks the runspace it runs in (only when needed).
    /// </summary>
    internal static string ResolveAgainstLocation(string path)
    {
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddScript("$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($args[0])").AddArgument(path);
        return ps.Invoke().FirstOrDefault()?.BaseObject as string ?? path;
    }
}
