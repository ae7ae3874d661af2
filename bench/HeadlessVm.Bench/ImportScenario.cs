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
        section.Target("Import cost (median import - median empty script)", importStats.Median - emptyStats.Median, "ms", 150);
        section.Note($"Cold import cost (first import in the process - median empty script) = {Stats.Ms(cold.TotalMilliseconds - emptyStats.Median)} ms: " +
            "it includes loading and JIT-compiling the module's assemblies and PowerShell's own first Import-Module, which later imports in the same process reuse.");
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
