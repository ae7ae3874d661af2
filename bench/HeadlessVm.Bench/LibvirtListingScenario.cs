using System.Globalization;
using System.Management.Automation;

namespace HeadlessVm.Bench;

/// <summary>
/// Scenario 6: Get-HeadlessVm through libvirt beside the folder store: N defined (stopped) domains on this machine's
/// libvirtd (qemu:///system, one unix-socket connection), on one host of a bed over ssh, and on two such hosts at
/// once, with warm connections (the second command of a session); the first command of a session (ssh and
/// libvirt's handshake included); and by hand, `virsh list --all` over the same ssh route (a new ssh connection each
/// time). The bed (tests/hosts/hostbed.sh up 2) and, when it is not running, this machine's libvirtd
/// (tests/hosts/local-libvirt.sh) are started here and stopped after.
/// </summary>
public sealed class LibvirtListingScenario : IScenario
{
    public string Key => "libvirt";

    public string Title => "6. Listing through libvirt";

    public void Run(BenchContext context, Section section)
    {
        int[] counts = context.Quick ? [2] : [10, 25];
        var repetitions = context.Runs(20);
        var startedLocal = !Answers();
        if (startedLocal)
        {
            Script("local-libvirt.sh", "start");
        }

        using var session = new ModuleRunspace(context.Cancellation);
        using var scratch = new Scratch(asHome: true);
        var rows = new List<(string What, int Count, Stats Stats)>();
        var prefix = "hvb-" + Guid.NewGuid().ToString("N")[..4];
        var facts = new BenchBed("hvb", 233);
        try
        {
            BenchContext.Log("libvirt: host bed up 2");
            facts.Up(2);
            session.Invoke("Connect-HeadlessVmHost h1 -Uri $a; Connect-HeadlessVmHost h2 -Uri $b; Connect-HeadlessVmHost system -Uri qemu:///system",
                new Dictionary<string, object?> { ["a"] = facts["h1.uri_ssh"], ["b"] = facts["h2.uri_ssh"] });

            var made = 0;
            foreach (var count in counts)
            {
                context.Check();
                BenchContext.Log($"libvirt: {count} domains on each of system, h1, h2 and the folder store");
                session.Invoke("foreach ($h in 'system', 'h1', 'h2', 'local') { $first..$last | ForEach-Object { New-HeadlessVm ('{0}-{1:00}' -f $p, $_) -ComputerName $h -MemoryMB 32 -Network None -NoStart } | Out-Null }",
                    new Dictionary<string, object?> { ["first"] = made + 1, ["last"] = count, ["p"] = prefix });
                made = count;

                rows.Add(("Folder store (stopped VMs)", count, Time(session, context, repetitions, "Get-HeadlessVm -ComputerName local -Name $p*", count, prefix)));
                rows.Add(("qemu:///system (unix socket)", count, Time(session, context, repetitions, "Get-HeadlessVm -ComputerName system -Name $p*", count, prefix)));
                rows.Add(("h1 over ssh", count, Time(session, context, repetitions, "Get-HeadlessVm -ComputerName h1 -Name $p*", count, prefix)));
                rows.Add(("h1 and h2 over ssh, at once", count, Time(session, context, repetitions, "Get-HeadlessVm -ComputerName h1, h2 -Name $p*", 2 * count, prefix)));
            }

            // The first command of a session: a new connection (ssh, then libvirt's handshake) before the listing.
            var cold = new List<TimeSpan>();
            for (var i = 0; i < Math.Max(3, repetitions / 4); i++)
            {
                context.Check();
                session.Invoke("Disconnect-HeadlessVmHost h1, h2");
                cold.Add(session.Timed("Get-HeadlessVm -ComputerName h1, h2 -Name $p* | Out-Null", new Dictionary<string, object?> { ["p"] = prefix }).Elapsed);
            }

            var byHand = new List<TimeSpan>();
            for (var i = 0; i < Math.Max(3, repetitions / 4); i++)
            {
                context.Check();
                var r = ProcessTools.Run("virsh", new[] { "-q", "-c", facts["h1.uri_ssh"], "list", "--all" }, TimeSpan.FromSeconds(30));
                if (r.ExitCode != 0)
                {
                    throw new BenchException("virsh list failed: " + r.StandardError);
                }

                byHand.Add(r.Elapsed);
            }

            section.TimingTable("`Get-HeadlessVm` with warm connections (N stopped domains per host)");
            foreach (var (what, count, stats) in rows)
            {
                section.Timing($"{what}, {count} each", stats);
            }

            section.Table("First command of a session, and by hand", "Runs", "Median ms", "Min ms", "Max ms");
            var coldStats = Stats.Of(cold);
            var handStats = Stats.Of(byHand);
            section.Row($"`Get-HeadlessVm -ComputerName h1, h2` after Disconnect-HeadlessVmHost (two new ssh connections), {counts[^1]} each",
                coldStats.Count.ToString(CultureInfo.InvariantCulture), Stats.Ms(coldStats.Median), Stats.Ms(coldStats.Min), Stats.Ms(coldStats.Max));
            section.Row($"`virsh -c qemu+ssh://... list --all` (h1, {counts[^1]} domains; a new ssh connection each)",
                handStats.Count.ToString(CultureInfo.InvariantCulture), Stats.Ms(handStats.Median), Stats.Ms(handStats.Min), Stats.Ms(handStats.Max));

            var two = rows.Where(r => r.What.StartsWith("h1 and h2", StringComparison.Ordinal)).ToArray();
            var last = two[^1];
            if (last.Count == 25)
            {
                section.Target("2 hosts x 25 domains, warm, median", last.Stats.Median, "ms", 250);
            }

            if (two.Length >= 2)
            {
                section.Note($"2 hosts: t{two[^1].Count}/t{two[0].Count} = {Stats.Num(two[^1].Stats.Median / two[0].Stats.Median)} " +
                    $"(linear would be {Stats.Num((double)two[^1].Count / two[0].Count, "0.#")})");
            }

            section.Note("Domains made with New-HeadlessVm -NoStart (32 MB, no network): listing reads every domain's state in one libvirt call " +
                $"and each domain's XML in one more. Hosts: tests/hosts/hostbed.sh (namespaces on this machine, sshd + libvirtd each; no network latency). " +
                $"{repetitions} timed calls per row after {context.WarmUps} warm-up, in one warm runspace.");
        }
        finally
        {
            session.Cleanup($"Get-HeadlessVm -ComputerName system, h1, h2, local -Name '{prefix}*' | Remove-HeadlessVm -Force");
            facts.Down(section);

            if (startedLocal)
            {
                Script("local-libvirt.sh", "stop");
            }
        }
    }

    private static Stats Time(ModuleRunspace session, BenchContext context, int repetitions, string script, int expected, string prefix)
    {
        var samples = new List<TimeSpan>();
        for (var i = 0; i < context.WarmUps + repetitions; i++)
        {
            context.Check();
            var (output, elapsed) = session.Timed(script, new Dictionary<string, object?> { ["p"] = prefix });
            if (output.Count != expected)
            {
                throw new BenchException($"'{script}' listed {output.Count} VMs, expected {expected}.");
            }

            if (i >= context.WarmUps)
            {
                samples.Add(elapsed);
            }
        }

        return Stats.Of(samples);
    }

    private static bool Answers() =>
        ProcessTools.Run("virsh", new[] { "-q", "-c", "qemu:///system", "version" }, TimeSpan.FromSeconds(20)).ExitCode == 0;

    private static string Script(string name, params string[] arguments) => BenchBed.Script(name, new Dictionary<string, string>(), arguments);
}
