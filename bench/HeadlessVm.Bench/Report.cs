using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace HeadlessVm.Bench;

/// <summary>The markdown report: the machine it ran on, then one section per scenario.</summary>
public sealed class Report
{
    private readonly List<Section> _sections = new();

    public DateTime Started { get; } = DateTime.UtcNow;

    /// <summary>The accelerator the module's VMs really ran with (from the VM objects), filled by the scenarios.</summary>
    public SortedSet<string> AcceleratorsUsed { get; } = new(StringComparer.Ordinal);

    public bool Quick { get; init; }

    public List<string> Failures { get; } = new();

    public Section Section(string title)
    {
        var section = new Section(title);
        _sections.Add(section);
        return section;
    }

    public string ToMarkdown(TimeSpan wallTime)
    {
        var md = new StringBuilder();
        md.AppendLine("# HeadlessVm benchmarks").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run {Started:yyyy-MM-dd HH:mm} UTC{(Quick ? ", quick mode (1 warm-up + 1 run per scenario: the numbers are not meaningful)" : string.Empty)}; the whole run took {wallTime.TotalSeconds:0} s.").AppendLine();
        md.AppendLine("| Machine | |").AppendLine("|---|---|");
        foreach (var (key, value) in Machine.Describe(AcceleratorsUsed))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {key} | {Escape(value)} |");
        }

        md.AppendLine();
        md.AppendLine("Times are wall-clock milliseconds measured in the bench process: median, min and max over the runs after a warm-up. " +
            "Ratios compare medians measured in the same run.").AppendLine();
        foreach (var section in _sections)
        {
            section.Write(md);
        }

        if (Failures.Count > 0)
        {
            md.AppendLine("## Failures").AppendLine();
            foreach (var f in Failures)
            {
                md.AppendLine("- " + f.Replace("\n", " ", StringComparison.Ordinal));
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    public static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}

/// <summary>One scenario's tables, ratios against their targets, notes and warnings.</summary>
public sealed class Section
{
    private readonly List<(string[] Header, List<string[]> Rows)> _tables = new();
    private readonly List<string> _lines = new();

    public Section(string title) => Title = title;

    public string Title { get; }

    public void Table(params string[] header) => _tables.Add((header, new List<string[]>()));

    public void Row(params string[] cells)
    {
        if (_tables.Count == 0)
        {
            throw new InvalidOperationException("Start a table first.");
        }

        _tables[^1].Rows.Add(cells);
    }

    /// <summary>A timing table's usual header: what, runs, median, min, max.</summary>
    public void TimingTable(string what = "Measurement") => Table(what, "Runs", "Median ms", "Min ms", "Max ms");

    public void Timing(string label, Stats s) => Row(label, s.Count.ToString(CultureInfo.InvariantCulture), Stats.Ms(s.Median), Stats.Ms(s.Min), Stats.Ms(s.Max));

    /// <summary>"(b)/(a) = 0.52 (target &lt;= 0.7: met)".</summary>
    public void Ratio(string name, double value, double? atMost = null)
    {
        var target = atMost is null ? string.Empty
            : $" (target <= {atMost.Value.ToString("0.##", CultureInfo.InvariantCulture)}: {(value <= atMost.Value ? "met" : "missed")})";
        _lines.Add($"- {name} = {Stats.Num(value)}{target}");
    }

    /// <summary>A figure against an upper bound in its own unit: "50 VMs: 73.2 ms median (target &lt; 100 ms: met)".</summary>
    public void Target(string name, double value, string unit, double below)
    {
        _lines.Add($"- {name} = {Stats.Ms(value)} {unit} (target < {below.ToString("0.##", CultureInfo.InvariantCulture)} {unit}: {(value < below ? "met" : "missed")})");
    }

    public void Note(string text) => _lines.Add("- " + text);

    public void Warning(string text)
    {
        _lines.Add("- **Warning:** " + text);
        Console.Error.WriteLine($"warning ({Title}): {text}");
    }

    private static bool IsNumber(string cell) => double.TryParse(cell.TrimStart('+'), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    public void Write(StringBuilder md)
    {
        md.AppendLine("## " + Title).AppendLine();
        foreach (var (header, rows) in _tables)
        {
            md.AppendLine("| " + string.Join(" | ", header.Select(Report.Escape)) + " |");
            // Columns of numbers align right; the first column and text columns left.
            md.AppendLine("|" + string.Concat(header.Select((_, i) => i > 0 && rows.All(r => i >= r.Length || IsNumber(r[i])) ? "---:|" : "---|")));
            foreach (var row in rows)
            {
                md.AppendLine("| " + string.Join(" | ", row.Select(Report.Escape)) + " |");
            }

            md.AppendLine();
        }

        foreach (var line in _lines)
        {
            md.AppendLine(line);
        }

        if (_lines.Count > 0)
        {
            md.AppendLine();
        }
    }
}

/// <summary>What the report says about the machine: CPU, memory, kernel, distribution and the programs the bench runs.</summary>
public static class Machine
{
    /// <summary>Read when the bench starts: a busy machine explains wide min-max spreads.</summary>
    public static string LoadAtStart { get; } = Load();

    /// <summary>Programs the bench did not start, which share the cores with it.</summary>
    public static string OthersAtStart { get; } = Try(() =>
    {
        var others = ProcessTools.Running("qemu-system-", "websockify");
        return others.Count == 0 ? "none" : string.Join(", ", others.GroupBy(n => n).Select(g => $"{g.Count()} {g.Key}"));
    });

    public static string Load() => Try(() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)));

    public static IEnumerable<(string, string)> Describe(IReadOnlyCollection<string> accelerators)
    {
        yield return ("CPU", Try(() => File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name", StringComparison.Ordinal)).Split(':', 2)[1].Trim()));
        yield return ("Cores", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        yield return ("RAM", Try(() => $"{ProcessTools.ReadKb("/proc/meminfo", "MemTotal") / 1024.0 / 1024.0:0.0} GiB"));
        yield return ("Kernel", Try(() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim()));
        yield return ("Debian", Try(() => File.ReadAllText("/etc/debian_version").Trim()));
        yield return ("qemu", Try(() => ProcessTools.Output("qemu-system-x86_64", "--version").Split('\n')[0].Trim()));
        yield return ("websockify", Try(() => ProcessTools.Output("dpkg-query", "-W", "websockify").Trim().Replace('\t', ' ')));
        yield return ("noVNC", Try(() => ProcessTools.Output("dpkg-query", "-W", "novnc").Trim().Replace('\t', ' ')));
        yield return (".NET", RuntimeInformation.FrameworkDescription);
        yield return ("PowerShell SDK", typeof(System.Management.Automation.PSObject).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "?");
        yield return ("Accelerator used by the module's VMs", accelerators.Count == 0 ? "(no VM started)" : string.Join(", ", accelerators));
        yield return ("Load average (1, 5, 15 min) at the start / the end", $"{LoadAtStart} / {Load()}");
        yield return ("Other qemu and websockify processes at the start", OthersAtStart);
    }

    private static string Try(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex)
        {
            return $"(unknown: {ex.Message})";
        }
    }
}
