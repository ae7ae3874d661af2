using System.Globalization;

namespace HeadlessVm.Bench;

/// <summary>
/// Scenario 5: resident memory of everything the module leaves running besides qemu, per VM, with 1 and
/// 10 VMs bridged (one bridge each): the bridges' processes and their descendants, plus any process whose
/// command line names the store. qemu's own RSS per VM is shown for scale.
/// </summary>
public sealed class FootprintScenario : IScenario
{
    public string Key => "footprint";

    public string Title => "5. Footprint";

    public void Run(BenchContext context, Section section)
    {
        int[] counts = context.Quick ? [1, 2] : [1, 10];
        using var session = new ModuleRunspace(context.Cancellation);
        section.Table("Bridged VMs", "Processes besides qemu", "RSS total MB", "RSS per VM MB", "PSS per VM MB", "qemu RSS per VM MB");
        foreach (var count in counts)
        {
            context.Check();
            BenchContext.Log($"footprint: {count} bridged VMs");
            using var home = new Scratch(asHome: true);
            try
            {
                var (vms, _) = PausedVms.Create(session, "f", 1, count, 128);
                var qemus = vms.Select(vm => Convert.ToInt32(BridgeInfo.Property(vm, "ProcessId"), CultureInfo.InvariantCulture)).ToArray();
                foreach (var pid in qemus)
                {
                    home.Track(pid);
                }

                var bridges = session.Invoke("Get-HeadlessVm | Start-VncBridge").Select(BridgeInfo.From).ToArray();
                if (bridges.Length != count)
                {
                    throw new BenchException($"Start-VncBridge returned {bridges.Length} bridges for {count} VMs.");
                }

                foreach (var b in bridges)
                {
                    home.Track(b.Pid);
                }

                var module = bridges.Where(b => b.Pid is not null).SelectMany(b => ProcessTools.WithDescendants(b.Pid!.Value))
                    .Union(ProcessTools.Mentioning(home.Marker))
                    .Where(pid => !ProcessTools.IsQemu(pid))
                    .Distinct()
                    .ToArray();
                var rss = module.Sum(pid => ProcessTools.StatusKb(pid, "VmRSS")) / 1024.0;
                var pss = module.Sum(ProcessTools.PssKb) / 1024.0;
                var qemuRss = qemus.Sum(pid => ProcessTools.StatusKb(pid, "VmRSS")) / 1024.0;
                section.Row(count.ToString(CultureInfo.InvariantCulture),
                    $"{module.Length} ({Names(module)})",
                    Stats.Num(rss, "0.0"), Stats.Num(rss / count, "0.0"), Stats.Num(pss / count, "0.0"), Stats.Num(qemuRss / count, "0.0"));
            }
            finally
            {
                session.RemoveAll();
                home.Release();
            }
        }

        section.Note("Idle bridges, no browser connected (websockify forks a handler per connection). RSS counts pages shared between a process " +
            "and its forks once per process; PSS splits them among the sharers. VMs are paused (" + PausedVms.How(session) + ", 128 MB): " +
            "a running guest touches more of its memory, so qemu's RSS is a floor.");
    }

    private static string Names(IEnumerable<int> pids) => string.Join(", ", pids
        .Select(pid => ProcessTools.CommandLine(pid) is { Count: > 0 } argv ? ShortName(argv) : "?")
        .GroupBy(n => n)
        .Select(g => g.Count() == 1 ? g.Key : $"{g.Count()} x {g.Key}"));

    /// <summary>python3 /usr/bin/websockify ... reads better as websockify.</summary>
    private static string ShortName(IReadOnlyList<string> argv)
    {
        var first = Path.GetFileName(argv[0]);
        return first.StartsWith("python", StringComparison.Ordinal) && argv.Count > 1
            ? Path.GetFileName(argv[1] == "-m" && argv.Count > 2 ? argv[2] : argv[1])
            : first;
    }
}
