using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HeadlessVm.Core.Qemu;

namespace HeadlessVm.Commands;

/// <summary>Completes -Architecture with the qemu-system-* binaries installed on PATH.</summary>
public sealed class ArchitectureCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(QemuCatalog.Architectures(), wordToComplete, a => "qemu-system-" + a);
}

/// <summary>Completes -Cpu with the models that qemu-system-&lt;-Architecture&gt; reports with '-cpu help'.</summary>
public sealed class CpuModelCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var architecture = fakeBoundParameters?["Architecture"] as string;
        return Completions.Matching(QemuCatalog.CpuModels(string.IsNullOrWhiteSpace(architecture) ? "x86_64" : architecture),
            wordToComplete, m => m);
    }
}

/// <summary>Completes -DiskFormat / -Format with the disk image formats the module knows.</summary>
public sealed class DiskFormatCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(DiskFormats.Known, wordToComplete, f => f == "vpc" ? "vpc (VHD)" : f);
}

internal static class Completions
{
    /// <summary>The values that start with (or, with wildcards, match) the word typed so far, quoted when needed.</summary>
    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> values, string? wordToComplete, Func<string, string> tooltip)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
        foreach (var value in values.Where(v => pattern.IsMatch(v)))
        {
            var text = value.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.') ? value : "'" + value.Replace("'", "''") + "'";
            yield return new CompletionResult(text, value, CompletionResultType.ParameterValue, tooltip(value));
        }
    }
}
