using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace HeadlessVm.Commands;

/// <summary>
/// Reads a numeric parameter that arrives as text (a CSV cell, JSON, the prompt) the same way in every
/// culture: digits with '.' as the decimal point, nothing else. PowerShell's own conversion reads '1,5'
/// as 15 and rounds '256.7' to 257, and a German user's '16.384' means sixteen thousand; so text that
/// holds a ',' or digit groups, or a fraction where a whole number is needed, is refused with a message
/// that says what it would have been read as. Numbers that arrive as numbers (JSON) are checked the same
/// way. Empty text is "not given" (null) when the parameter binds by property name (an empty CSV cell),
/// else refused. Shared by every numeric parameter of the module.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed partial class InvariantNumberAttribute : ArgumentTransformationAttribute
{
    /// <summary>Allow a fraction (a size in GiB); otherwise only whole numbers (an int parameter).</summary>
    public bool AllowFraction { get; set; }

    /// <summary>Empty text is "not given" (null) rather than an error: for parameters bound from CSV cells.</summary>
    public bool EmptyIsNotGiven { get; set; } = true;

    [GeneratedRegex(@"^[+-]?[0-9]+$")]
    private static partial Regex WholePattern();

    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")]
    private static partial Regex DecimalPattern();

    [GeneratedRegex(@"^[+-]?[0-9]{1,3}(\.[0-9]{3})+$")]
    private static partial Regex DotGroupedPattern();

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            null => null,
            string text => FromText(text),
            bool b => throw Refuse($"{b} is not a number."),
            int or long or short or byte or sbyte or ushort or uint => Whole(Convert.ToDecimal(value, CultureInfo.InvariantCulture), value.ToString()!),
            double or float or decimal => FromNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            _ => value,
        };
    }

    private object? FromText(string raw)
    {
        var text = raw.Trim();
        if (text.Length == 0)
        {
            return EmptyIsNotGiven ? null : throw Refuse("An empty text is not a number.");
        }

        if (text.Contains(','))
        {
            var meant = text.Replace(',', '.');
            throw Refuse($"'{text}' is not a number here: ',' is neither the decimal point nor a digit group separator " +
                (AllowFraction ? $"(write {meant} for a fraction, or the digits alone for a whole number)." : "(write the digits alone, such as 16384)."));
        }

        if (DotGroupedPattern().IsMatch(text) && CultureInfo.CurrentCulture.NumberFormat.NumberGroupSeparator == ".")
        {
            // In de-DE and the like, '16.384' is sixteen thousand; read invariantly it is sixteen: refuse to guess.
            throw Refuse($"'{text}' is ambiguous: it reads as {double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)} " +
                $"('.' is the decimal point), but in {CultureInfo.CurrentCulture.Name} it is {text.Replace(".", string.Empty)}. Write {text.Replace(".", string.Empty)} without separators.");
        }

        if (!AllowFraction)
        {
            if (WholePattern().IsMatch(text))
            {
                return decimal.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)
                    ? Whole(whole, text)
                    : throw Refuse($"'{text}' is too large a number.");
            }

            if (DecimalPattern().IsMatch(text))
            {
                var read = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                throw Refuse($"'{text}' is not a whole number: it reads as {read.ToString(CultureInfo.InvariantCulture)} ('.' is the decimal point). Give a whole number.");
            }

            throw Refuse($"'{text}' is not a whole number. Give digits only, such as 1024.");
        }

        return DecimalPattern().IsMatch(text)
            ? double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
            : throw Refuse($"'{text}' is not a number. Write digits with '.' as the decimal point, such as 1.5.");
    }

    private object FromNumber(double number)
    {
        if (AllowFraction)
        {
            return number;
        }

        return Math.Floor(number) == number && !double.IsInfinity(number)
            ? Whole((decimal)number, number.ToString(CultureInfo.InvariantCulture))
            : throw Refuse($"{number.ToString(CultureInfo.InvariantCulture)} is not a whole number. Give a whole number.");
    }

    private object Whole(decimal number, string shown)
    {
        if (number is < int.MinValue or > int.MaxValue)
        {
            throw Refuse($"{shown} is out of range for a whole number parameter.");
        }

        return AllowFraction ? (double)number : (int)number;
    }

    private static ArgumentTransformationMetadataException Refuse(string message) => new(message);
}
