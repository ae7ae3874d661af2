using System.Collections.ObjectModel;

namespace HeadlessVm.Core.Model;

/// <summary>
/// A list property of an output record (a VM's DiskPath, PortForward...): a read-only list of texts to
/// scripts and ConvertTo-Json, and one ';'-joined text where PowerShell turns a value into text
/// (Export-Csv calls ToString, and would write "System.String[]" for an array). The cmdlets' parameters of
/// the same names read that text back (split at ';'), so a VM exported to CSV recreates the same VM.
/// An item that holds ';' itself does not survive the trip through text; pass such values as arrays.
/// </summary>
public sealed class ValueList : ReadOnlyCollection<string>
{
    /// <summary>What joins the items in the text form.</summary>
    public const char Separator = ';';

    public ValueList(IEnumerable<string> items)
        : base(items.ToArray())
    {
    }

    /// <summary>The items of a text joined by <see cref="Separator"/>, each trimmed, empty ones dropped.</summary>
    public static IReadOnlyList<string> Split(string text) =>
        text.Split(Separator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => string.Join(Separator, this);
}
