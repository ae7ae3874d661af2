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
            // A relative HEADLESSVM_HOME is resolved against the current location, as the cmdlets do.
            var location = System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath;
            names = new HeadlessVmContext(StatePaths.FromEnvironment(resolve: p => location is null ? p : Path.GetFullPath(p, location))).Vms.Names();
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
}
