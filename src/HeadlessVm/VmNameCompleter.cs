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
            names = new HeadlessVmContext(StatePaths.FromEnvironment()).Vms.Names();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var name in names.Where(n => pattern.IsMatch(n)))
        {
            yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
        }
    }
}
