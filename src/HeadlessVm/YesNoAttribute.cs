using System.Management.Automation;

namespace HeadlessVm.Commands;

/// <summary>
/// Reads a switch that arrives as a value (a CSV column such as NoStart, a JSON property): true, yes, on
/// or 1 is set; false, no, off, 0 or an empty cell is not. PowerShell's own conversion takes any
/// non-empty text for true (so 'false' would start a VM that a CSV asked not to start); anything else is
/// refused with a message naming the values it takes.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class YesNoAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            null => new SwitchParameter(false),
            SwitchParameter s => s,
            bool b => new SwitchParameter(b),
            int or long or short or byte when Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) is 0 or 1 =>
                new SwitchParameter(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) == 1),
            string text => FromText(text),
            _ => throw Refuse(value.ToString() ?? string.Empty),
        };
    }

    private static SwitchParameter FromText(string raw) => raw.Trim().ToLowerInvariant() switch
    {
        "" or "false" or "no" or "n" or "off" or "0" or "$false" => new SwitchParameter(false),
        "true" or "yes" or "y" or "on" or "1" or "$true" => new SwitchParameter(true),
        _ => throw Refuse(raw),
    };

    private static ArgumentTransformationMetadataException Refuse(string value) =>
        new($"'{value}' is not a yes/no value for a switch: use true or false, yes or no, 1 or 0, or leave it empty (not set).");
}
