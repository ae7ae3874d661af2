using System.Diagnostics;
using HeadlessVm.Bench;

// dotnet run -c Release --project bench/HeadlessVm.Bench [-- --quick] [--out FILE] [--only console,listing,...]
var quick = false;
string? outFile = null;
HashSet<string>? only = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            quick = true;
            break;
        case "--out" when i + 1 < args.Length:
            outFile = Path.GetFullPath(args[++i]);
            break;
        case "--only" when i + 1 < args.Length:
            only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
            break;
        default:
            Console.Error.WriteLine("usage: HeadlessVm.Bench [--quick] [--out FILE] [--only import,console,listing,bridge,footprint]");
            return 2;
    }
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    if (!cancellation.IsCancellationRequested)
    {
        Console.Error.WriteLine("Stopping after the current step (Ctrl+C again to stop at once)...");
        cancellation.Cancel();
        return;
    }

    Scratch.ReleaseAll();
    Environment.Exit(130);
};
// SIGTERM and any other exit: whatever a run left is stopped by PID.
AppDomain.CurrentDomain.ProcessExit += (_, _) => Scratch.ReleaseAll();

// Read before anything starts: the machine's load and the programs others run beside the bench.
_ = (Machine.LoadAtStart, Machine.OthersAtStart);
VncDes.SelfTest();
var wall = Stopwatch.StartNew();
var report = new Report { Quick = quick };
var context = new BenchContext(quick, report, cancellation.Token);

// Sections in the order; import runs first so that its cold import is the process's first.
IScenario[] scenarios =
{
    new ImportScenario(), new TimeToConsoleScenario(), new ListingScenario(), new BridgeScenario(), new FootprintScenario(),
};
var sections = new Dictionary<IScenario, Section>();
foreach (var scenario in scenarios.OrderBy(s => s.Title, StringComparer.Ordinal))
{
    if (only is null || only.Contains(scenario.Key))
    {
        sections[scenario] = report.Section(scenario.Title);
    }
}

foreach (var scenario in scenarios.Where(sections.ContainsKey))
{
    if (cancellation.IsCancellationRequested)
    {
        report.Failures.Add($"{scenario.Title}: not run (interrupted).");
        continue;
    }

    var watch = Stopwatch.StartNew();
    BenchContext.Log($"{scenario.Title}...");
    try
    {
        scenario.Run(context, sections[scenario]);
    }
    catch (OperationCanceledException)
    {
        report.Failures.Add($"{scenario.Title}: interrupted.");
    }
    catch (Exception ex)
    {
        report.Failures.Add($"{scenario.Title}: {ex.GetType().Name}: {ex.Message}");
        Console.Error.WriteLine(ex);
    }
    finally
    {
        Scratch.ReleaseAll();
        BenchContext.Log($"{scenario.Title}: {watch.Elapsed.TotalSeconds:0.0} s");
    }
}

var markdown = report.ToMarkdown(wall.Elapsed);
Console.Write(markdown);
if (outFile is not null)
{
    File.WriteAllText(outFile, markdown);
    BenchContext.Log("Wrote " + outFile);
}

return report.Failures.Count == 0 ? 0 : 1;
