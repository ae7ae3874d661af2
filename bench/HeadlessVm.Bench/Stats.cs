using System.Globalization;

namespace HeadlessVm.Bench;

/// <summary>Summary of repeated measurements in milliseconds (or any unit: the numbers are just sorted).</summary>
public sealed class Stats
{
    private readonly double[] _sorted;

    public Stats(IEnumerable<double> samples)
    {
        _sorted = samples.OrderBy(x => x).ToArray();
        if (_sorted.Length == 0)
        {
            throw new ArgumentException("No samples.", nameof(samples));
        }
    }

    public static Stats Of(IEnumerable<TimeSpan> samples) => new(samples.Select(s => s.TotalMilliseconds));

    public int Count => _sorted.Length;
    public double Min => _sorted[0];
    public double Max => _sorted[^1];
    public double Median => Percentile(50);
    public double P95 => Percentile(95);

    /// <summary>Linear interpolation between the closest ranks.</summary>
    public double Percentile(double p)
    {
        var rank = p / 100 * (_sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return _sorted[low] + (_sorted[high] - _sorted[low]) * (rank - low);
    }

    /// <summary>Milliseconds with precision that suits their size: 0.042, 1.37, 23.4, 1234.</summary>
    public static string Ms(double ms) => ms switch
    {
        < 1 => ms.ToString("0.000", CultureInfo.InvariantCulture),
        < 10 => ms.ToString("0.00", CultureInfo.InvariantCulture),
        < 1000 => ms.ToString("0.0", CultureInfo.InvariantCulture),
        _ => ms.ToString("0", CultureInfo.InvariantCulture),
    };

    public static string Num(double value, string format = "0.00") => value.ToString(format, CultureInfo.InvariantCulture);
}
