using System.Globalization;
using System.Management.Automation;

namespace HeadlessVm.Bench;

/// <summary>
/// Scenario 2: Get-HeadlessVm with live state for 1, 10 and 50 paused VMs in a warm runspace; the per-VM
/// cost and how it grows. The VMs are added in batches (one pipeline each) to the same store.
/// </summary>
public sealed class ListingScenario : IScenario
{
    public string Key => "listing";

    public string Title => "2. Listing at scale";

    public void Run(BenchContext context, Section section)
    {
        int[] counts = context.Quick ? [1, 3] : [1, 10, 50];
        var repetitions = context.Runs(20);
        using var session = new ModuleRunspace(context.Cancellation);
        using var scratch = new Scratch(asHome: true);
        var results = new List<(int Count, Stats Stats, TimeSpan Create, int Added)>();
        TimeSpan? remove = null;
        try
        {
            var made = 0;
            foreach (var count in counts)
            {
                context.Check();
                BenchContext.Log($"listing: {count} paused VMs");
                var (vms, create) = PausedVms.Create(session, "l", made + 1, count, 64);
                foreach (var vm in vms)
                {
                    scratch.Track(BridgeInfo.Property(vm, "ProcessId") is { } pid ? Convert.ToInt32(pid, CultureInfo.InvariantCulture) : null);
                }

                var added = count - made;
                made = count;
                var samples = new List<TimeSpan>();
                for (var i = 0; i < context.WarmUps + repetitions; i++)
                {
                    var elapsed = TimeList(session, count);
                    if (i >= context.WarmUps)
                    {
                        samples.Add(elapsed);
                    }
                }

                results.Add((count, Stats.Of(samples), create, added));
            }

            context.Check();
            remove = session.Timed("Get-HeadlessVm | Remove-HeadlessVm -Force").Elapsed;
        }
        finally
        {
            session.RemoveAll();
            var left = scratch.Release();
            if (remove is not null && left > 0)
            {
                section.Warning($"Remove-HeadlessVm -Force left {left} process(es) running; the bench stopped them.");
            }
        }

        section.TimingTable("`Get-HeadlessVm` (every VM's State checked to be Paused)");
        foreach (var (count, stats, _, _) in results)
        {
            section.Timing($"{count} VM{(count == 1 ? string.Empty : "s")}", stats);
        }

        section.Table("Setup and teardown (one run each, no target)", "ms", "Per VM ms");
        foreach (var (count, _, create, added) in results)
        {
            section.Row($"Create {added} paused VM{(added == 1 ? string.Empty : "s")} in one pipeline (to {count})", Stats.Ms(create.TotalMilliseconds), Stats.Ms(create.TotalMilliseconds / added));
        }

        if (remove is not null)
        {
            section.Row($"`Get-HeadlessVm | Remove-HeadlessVm -Force` ({counts[^1]} VMs)", Stats.Ms(remove.Value.TotalMilliseconds), Stats.Ms(remove.Value.TotalMilliseconds / counts[^1]));
        }

        var first = results[0];
        var last = results[^1];
        section.Note($"Per-VM cost ((t{last.Count} - t{first.Count}) / {last.Count - first.Count}) = {Stats.Ms((last.Stats.Median - first.Stats.Median) / (last.Count - first.Count))} ms");
        if (results.Count >= 3)
        {
            var middle = results[^2];
            section.Note($"t{last.Count}/t{middle.Count} = {Stats.Num(last.Stats.Median / middle.Stats.Median)} (linear would be {Stats.Num((double)last.Count / middle.Count, "0.#")})");
        }

        if (last.Count == 50)
        {
            section.Target("50 VMs, median", last.Stats.Median, "ms", 100);
        }

        section.Note("VMs made with " + PausedVms.How(session) + ", 64 MB, -Network None; "
            + $"{repetitions} timed calls per count after {context.WarmUps} warm-up, in one warm runspace.");
    }

    private static TimeSpan TimeList(ModuleRunspace session, int expected)
    {
        var (output, elapsed) = session.Timed("Get-HeadlessVm");
        var notPaused = output.Where(vm => BridgeInfo.Property(vm, "State")?.ToString() != "Paused").ToArray();
        if (output.Count != expected || notPaused.Length > 0)
        {
            throw new BenchException($"Get-HeadlessVm listed {output.Count} VMs (expected {expected}); not Paused: " +
                string.Join(", ", notPaused.Select(vm => $"{vm} is {BridgeInfo.Property(vm, "State")}")));
        }

        return elapsed;
    }
}
