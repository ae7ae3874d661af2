using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HeadlessVm.Core;
using HeadlessVm.Core.State;

namespace HeadlessVm.Commands;

/// <summary>Completes -Name / -VmName with the VMs in the store.</summary>
public sealed class VmNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
        IReadOnlyList<string> names;
        try
        {
            names = new HeadlessVmContext(StatePaths.FromEnvironment(resolve: ResolveAgainstLocation)).Vms.Names();
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

    /// <summary>
    /// A relative HEADLESSVM_HOME against PowerShell's current location, as the cmdlets resolve it. A
    /// completer has no session state of its own, so it asks the runspace it runs in (only when needed).
    /// </summary>
    private static string ResolveAgainstLocation(string path)
    {
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddScript("$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($args[0])").AddArgument(path);
        return ps.Invoke().FirstOrDefault()?.BaseObject as string ?? path;
    }
}
