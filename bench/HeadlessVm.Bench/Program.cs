using System.Diagnostics;
using System.Runtime.InteropServices;
using HeadlessVm.Bench;
using HeadlessVm.Testing;

// dotnet run -c Release --project bench/HeadlessVm.Bench [-- --quick] [--out FILE] [--only console,listing,libvirt,remote,...]
// A child of the import scenario: the first Import-Module of a process, timed in a process of its own.
if (args is ["--cold-import", var manifest])
{
    Console.WriteLine(ImportScenario.ColdImportHere(manifest).TotalMilliseconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}

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
            Console.Error.WriteLine("usage: HeadlessVm.Bench [--quick] [--out FILE] [--only import,console,listing,bridge,footprint,libvirt,remote]");
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

    StopNow(130);
};
// SIGTERM (a CI timeout, kill) and SIGHUP stop at once; the runtime's default would exit without cleaning up.
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, e => { e.Cancel = true; StopNow(143); });
using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, e => { e.Cancel = true; StopNow(129); });

// Whatever a run still has going is stopped by PID before the process goes.
void StopNow(int exitCode)
{
    lock (cancellation)
    {
        cancellation.Cancel();
        Console.Error.WriteLine("Stopping what the bench started...");
        Scratch.StopEverything();
        Environment.Exit(exitCode);
    }
}

// No module command may reach the user's own store, even by mistake: each scenario points this at its own.
Environment.SetEnvironmentVariable(Scratch.HomeVariable, Scratch.NoStore);

// Read before anything starts: the machine's load and the programs others run beside the bench.
_ = (Machine.LoadAtStart, Machine.OthersAtStart);
VncDes.SelfTest();
var wall = Stopwatch.StartNew();
var report = new Report { Quick = quick };
var context = new BenchContext(quick, report, cancellation.Token);

// Sections in the issue's order; import runs first so that its cold import is the process's first.
IScenario[] scenarios =
{
    new ImportScenario(), new TimeToConsoleScenario(), new ListingScenario(), new BridgeScenario(), new FootprintScenario(),
    new LibvirtListingScenario(), new RemoteConsoleScenario(),
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

// A signal's handler may be stopping everything right now: let it finish and set the exit code.
lock (cancellation)
{
}

var markdown = report.ToMarkdown(wall.Elapsed);
Console.Write(markdown);
if (outFile is not null)
{
    File.WriteAllText(outFile, markdown);
    BenchContext.Log("Wrote " + outFile);
}

return report.Failures.Count == 0 ? 0 : 1;
