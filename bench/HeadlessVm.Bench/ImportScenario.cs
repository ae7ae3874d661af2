using System.Diagnostics;
using System.Management.Automation.Runspaces;

namespace HeadlessVm.Bench;

/// <summary>
/// Scenario 3: Import-Module of the root manifest in a freshly opened runspace, against an empty script in
/// an equally fresh runspace; the difference is what importing costs. Runs first, so that its first
/// import is the process's first (JIT, assembly loading).
/// </summary>
public sealed class ImportScenario : IScenario
{
    public string Key => "import";

    public string Title => "3. Import";

    public void Run(BenchContext context, Section section)
    {
        using var scratch = new Scratch(asHome: true);
        // The first runspace of a process loads PowerShell itself; that is nobody's import cost.
        var (firstOpen, firstEmpty) = Fresh(string.Empty);
        var (_, cold) = Fresh(ModuleRunspace.ImportScript);

        // The floor of Import-Module itself: a manifest that declares nothing.
        var emptyManifest = scratch.PathOf("Empty.psd1");
        File.WriteAllText(emptyManifest, "@{ ModuleVersion = '1.0.0' }\n");
        var importEmpty = $"Import-Module '{emptyManifest}' -ErrorAction Stop";

        var opens = new List<TimeSpan>();
        var empties = new List<TimeSpan>();
        var imports = new List<TimeSpan>();
        var floors = new List<TimeSpan>();
        var runs = context.WarmUps + context.Runs(20);
        BenchContext.Log($"import: {runs} fresh runspaces of each kind");
        for (var i = 0; i < runs; i++)
        {
            context.Check();
            var (open, empty) = Fresh(string.Empty);
            var (_, import) = Fresh(ModuleRunspace.ImportScript);
            var (_, floor) = Fresh(importEmpty);
            if (i >= context.WarmUps)
            {
                opens.Add(open);
                empties.Add(empty);
                imports.Add(import);
                floors.Add(floor);
            }
        }

        // What a pwsh user meets once per session: the first import in a new process, for the module and
        // for the manifest that declares nothing (PowerShell's own first-import cost), alternating.
        var coldModule = new List<TimeSpan>();
        var coldFloor = new List<TimeSpan>();
        var coldRuns = context.Runs(5);
        BenchContext.Log($"import: {coldRuns} new processes of each kind");
        for (var i = 0; i < coldRuns; i++)
        {
            context.Check();
            coldModule.Add(ColdImportInNewProcess(ModuleRunspace.Manifest));
            coldFloor.Add(ColdImportInNewProcess(emptyManifest));
        }

        var emptyStats = Stats.Of(empties);
        var importStats = Stats.Of(imports);
        section.TimingTable("In a freshly opened runspace (InitialSessionState.CreateDefault2())");
        section.Timing("First runspace of the process: open", Stats.Of(new[] { firstOpen }));
        section.Timing("First runspace of the process: empty script", Stats.Of(new[] { firstEmpty }));
        section.Timing("Cold `Import-Module HeadlessVm.psd1` (first in the process)", Stats.Of(new[] { cold }));
        section.Timing("Open a runspace", Stats.Of(opens));
        section.Timing("Empty script", emptyStats);
        section.Timing("`Import-Module HeadlessVm.psd1`", importStats);
        section.Timing("`Import-Module` of a manifest that declares nothing (for scale)", Stats.Of(floors));
        section.Timing("First `Import-Module HeadlessVm.psd1` in a new process (runspace already open)", Stats.Of(coldModule));
        section.Timing("First `Import-Module` of the manifest that declares nothing, in a new process", Stats.Of(coldFloor));
        section.Target("Import cost (median import - median empty script)", importStats.Median - emptyStats.Median, "ms", 150);
        section.Note($"In a new process, importing the module costs {Stats.Ms(Stats.Of(coldModule).Median - Stats.Of(coldFloor).Median)} ms (median) more than importing a manifest " +
            "that declares nothing: loading its two assemblies and its format file. The rest of a first import is PowerShell's own, paid once per session by any module.");
        section.Note($"Cold import cost (first import in the process - median empty script) = {Stats.Ms(cold.TotalMilliseconds - emptyStats.Median)} ms: " +
            "it includes loading and JIT-compiling the module's assemblies and PowerShell's own first Import-Module, which later imports in the same process reuse.");
    }

    /// <summary>In this process (a new one): opens a runspace, then times the first Import-Module of <paramref name="manifest"/>.</summary>
    public static TimeSpan ColdImportHere(string manifest)
    {
        Fresh(string.Empty);
        return Fresh($"Import-Module '{manifest}' -ErrorAction Stop").Script;
    }

    private static TimeSpan ColdImportInNewProcess(string manifest)
    {
        var self = Environment.ProcessPath ?? throw new BenchException("The bench cannot find its own program to start.");
        var result = ProcessTools.Run(self, new[] { "--cold-import", manifest }, TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0 || !double.TryParse(result.StandardOutput.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms))
        {
            throw new BenchException($"The cold-import child failed ({result.ExitCode}): {(result.StandardError + result.StandardOutput).Trim()}");
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>Opens a fresh runspace (timed apart) and times one script in it.</summary>
    private static (TimeSpan Open, TimeSpan Script) Fresh(string script)
    {
        var watch = Stopwatch.StartNew();
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        var open = watch.Elapsed;
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);
        watch.Restart();
        ps.Invoke();
        var elapsed = watch.Elapsed;
        if (ps.Streams.Error.Count > 0)
        {
            throw new BenchException($"'{script}' failed: {ps.Streams.Error[0]}");
        }

        return (open, elapsed);
    }
}
