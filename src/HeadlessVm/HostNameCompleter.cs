using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.State;

namespace HeadlessVm.Commands;

/// <summary>Completes -ComputerName with the registered hosts, "local" and "*" (nothing is opened).</summary>
public sealed class HostNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = WildcardPattern.Get(WildcardPattern.Escape(word) + "*", WildcardOptions.IgnoreCase);
        IEnumerable<string> names;
        try
        {
            names = new HostRegistry(StatePaths.FromEnvironment()).List().Select(h => h.Name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            names = Array.Empty<string>();
        }

        foreach (var name in names.Append(VmInfo.LocalComputerName).Where(n => pattern.IsMatch(n)))
        {
            yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
        }

        if (word.Length == 0)
        {
            yield return new CompletionResult("'*'", "*", CompletionResultType.ParameterValue, "every registered host and the folder store");
        }
    }
}
