using System.Collections;
using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Reads a text (or enum) parameter bound by property name the way a CSV cell means it: empty or blank
/// text is "not given" (null), not an empty value (an empty -ExtraArgument would be an empty qemu
/// argument, an empty -Accelerator a conversion error). With <see cref="List"/>, a value is a list: an
/// array as it is, or one text whose items are joined by ';' (<see cref="ValueList.Separator"/>), which is
/// how the module's own list properties (DiskPath, PortForward...) print, so that Export-Csv and
/// Import-Csv carry them. With <see cref="Paths"/>, a text that names an existing file or folder as a whole
/// (resolved against the current location) is that one path, not split: ';' is legal in a file name.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TextValueAttribute : ArgumentTransformationAttribute
{
    /// <summary>The parameter takes several values: split texts at ';' and drop empty items.</summary>
    public bool List { get; set; }

    /// <summary>The items are paths (or texts that may be paths): a text naming an existing file or folder is kept whole.</summary>
    public bool Paths { get; set; }

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (!List)
        {
            return value is string text && string.IsNullOrWhiteSpace(text) ? null : inputData;
        }

        var items = value switch
        {
            null => null,
            string text => Split(engineIntrinsics, text),
            IEnumerable many => many.Cast<object?>()
                .Select(o => o is PSObject p ? p.BaseObject : o)
                .SelectMany(o => o is string s ? Split(engineIntrinsics, s) : o is null ? Array.Empty<string>() : new[] { o.ToString() ?? string.Empty })
                .ToArray(),
            _ => null,
        };

        if (items is null)
        {
            return inputData;
        }

        return items.Count == 0 ? null : items.ToArray();
    }

    private IReadOnlyList<string> Split(EngineIntrinsics engine, string text) =>
        Paths && text.Contains(ValueList.Separator) && NamesExistingPath(engine, text.Trim()) ? new[] { text.Trim() } : ValueList.Split(text);

    /// <summary>Whether <paramref name="text"/>, taken literally, is a file or folder there is (relative to the current location).</summary>
    private static bool NamesExistingPath(EngineIntrinsics engine, string text)
    {
        try
        {
            var full = engine.SessionState.Path.GetUnresolvedProviderPathFromPSPath(text);
            return File.Exists(full) || Directory.Exists(full);
        }
        catch (Exception e) when (e is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or NotSupportedException or PSArgumentException or ArgumentException)
        {
            return false;
        }
    }
}
