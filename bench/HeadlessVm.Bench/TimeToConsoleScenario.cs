using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace HeadlessVm.Bench;

/// <summary>
/// Scenario 1: from nothing running to the VNC greeting read through the WebSocket noVNC would use.
/// (a) the hand-typed flow, (b) New-HeadlessVm | Start-VncBridge in a warm runspace, (c) the same for a
/// second VM while a bridge already serves a first one, and qemu's own start-up for scale. The four are
/// interleaved in every round, so that drift on the machine hits them alike. The module's runs share one
/// store (HEADLESSVM_HOME), as a user's runs do, emptied by Remove-HeadlessVm -Force after each run: what
/// the store keeps between VMs (such as a KVM start that failed on this boot) counts as warm, and the
/// warm-up round, the first VM in a fresh store, is reported on its own.
/// </summary>
public sealed class TimeToConsoleScenario : IScenario
{
    private const string NewVm = "New-HeadlessVm -Name $name -MemoryMB 128 -Network None -Accelerator Auto";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, List<double>> _samples = new();
    private readonly List<string> _sharedBridgeMisses = new();
    private readonly List<string> _leftovers = new();
    private readonly List<string> _retries = new();

    public string Key => "console";

    public string Title => "1. Time to console";

    public void Run(BenchContext context, Section section)
    {
        using var session = new ModuleRunspace(context.Cancellation);
        using var store = new Scratch(asHome: true);
        var rounds = context.WarmUps + context.Runs(10);
        for (var round = 0; round < rounds; round++)
        {
            context.Check();
            var measured = round >= context.WarmUps;
            BenchContext.Log($"time to console: round {round + 1} of {rounds}{(measured ? string.Empty : " (warm-up)")}");
            Once("(a)", () => HandFlow(measured));
            context.Check();
            Once("(b)", () => ModuleFlow(session, store, measured, context.Report));
            context.Check();
            Once("(c)", () => SecondConsole(session, store, measured, context.Report));
            context.Check();
            Once("(c) by hand", () => SecondConsoleByHand(measured));
            context.Check();
            Once("qemu alone", () => QemuAlone(measured));
        }

        section.TimingTable("Path (from nothing running to `RFB 003.00` through the WebSocket)");
        foreach (var (label, key) in new[]
        {
            ("(b) in a fresh store: the warm-up round, not in the median", "b.fresh"),
            ("(a) hand-typed: qemu -daemonize, websockify -D, poll", "a"),
            ("  (a) qemu -daemonize exits", "a.qemu"),
            ("  (a) websockify -D exits", "a.websockify"),
            ("  (a) WebSocket probe until the greeting", "a.probe"),
            ("(b) New-HeadlessVm | Start-VncBridge, then probe", "b"),
            ("  (b) the pipeline returns", "b.pipeline"),
            ("  (b) WebSocket probe after it returned", "b.probe"),
            ("(c) second VM while a bridge serves the first", "c"),
            ("  (c) the pipeline returns", "c.pipeline"),
            ("  (c) WebSocket probe after it returned", "c.probe"),
            ("(c) by hand: qemu -daemonize, a token line for the websockify already running, probe", "c.hand"),
            ("qemu alone: qemu -daemonize until its VNC port greets", "qemu"),
        })
        {
            if (_samples.TryGetValue(key, out var values))
            {
                section.Timing(label, new Stats(values));
            }
        }

        var a = new Stats(_samples["a"]).Median;
        var b = new Stats(_samples["b"]).Median;
        var c = new Stats(_samples["c"]).Median;
        var q = new Stats(_samples["qemu"]).Median;
        section.Ratio("(b)/(a)", b / a, 0.7);
        section.Ratio("(c)/(qemu alone)", c / q, 1.2);
        var hand = new Stats(_samples["c.hand"]).Median;
        section.Note($"(c) by hand / qemu alone = {hand / q:0.00}: the floor for any console through websockify, which forks a handler " +
            $"per WebSocket. (c) / (c) by hand = {c / hand:0.00}: what the module adds to the same work done by hand.");
        section.Note("Hand flow and qemu alone: `qemu-system-x86_64 -m 128 -cpu max -display none -vnc 127.0.0.1:N -nic none -pidfile F -daemonize` " +
            "(qemu's default accelerator, TCG), then `/usr/bin/websockify -D --log-file L --web=/usr/share/novnc 127.0.0.1:PORT 127.0.0.1:59NN`; " +
            "the probe retries a failed WebSocket after ~2 ms. Module VMs: `-MemoryMB 128 -Network None -Accelerator Auto`. " +
            "(c) and (c) by hand start once the first VM's qemu has gone idle (its guest, SeaBIOS with no disk, takes a core for its first ~0.2 s under TCG).");
        if (_sharedBridgeMisses.Count > 0)
        {
            section.Warning($"(c): the second VM's bridge did not share the first bridge's websockify process in {_sharedBridgeMisses.Count} of {rounds} rounds ({_sharedBridgeMisses[0]}).");
        }
        else
        {
            section.Note("(c): the second VM's bridge shared the first bridge's websockify process in every round.");
        }

        Timeline(session, store, section, second: false);
        Timeline(session, store, section, second: true);
        // The same warning for every VM is one line: the VM's name is the only difference.
        foreach (var warning in session.Warnings.Select(w => Regex.Replace(w, "VM '[^']*'", "VM '<name>'")).Distinct())
        {
            section.Note("The module warned: " + Shorten(warning, store.Folder, 400));
        }

        foreach (var retry in _retries)
        {
            section.Warning("A port was taken between the check and the bind, so this run was repeated: " + Shorten(retry, store.Folder));
        }

        foreach (var line in _leftovers.Distinct())
        {
            section.Warning(line);
        }
    }

    /// <summary>
    /// Runs one flow; when a port it was about to use got taken first (other programs start VMs on this
    /// machine too), says so and runs it once more.
    /// </summary>
    private void Once(string which, Action flow)
    {
        try
        {
            flow();
        }
        catch (BenchException ex) when (ex.Message.Contains("PortInUse", StringComparison.Ordinal) || ex.Message.Contains("Address already in use", StringComparison.Ordinal))
        {
            _retries.Add($"{which}: {ex.Message}");
            flow();
        }
    }

    private void Add(string key, TimeSpan value, bool measured)
    {
        if (!measured && key == "b")
        {
            _samples["b.fresh"] = new List<double> { value.TotalMilliseconds };
        }

        if (measured)
        {
            (_samples.TryGetValue(key, out var list) ? list : _samples[key] = new List<double>()).Add(value.TotalMilliseconds);
        }
    }

    private void HandFlow(bool measured)
    {
        using var scratch = new Scratch(asHome: false);
        var display = ProcessTools.FirstFreeDisplay(60);
        var webPort = ProcessTools.FirstFreePort(6180);
        var watch = Stopwatch.StartNew();
        var qemu = HandTyped.StartQemu(scratch, display);
        var websockify = HandTyped.StartWebsockify(scratch, webPort, 5900 + display, serveNoVnc: true);
        var probeStart = watch.Elapsed;
        WebSocketProbe.WaitForGreeting(WebSocketProbe.ConsoleSocket(webPort, null), ProbeTimeout);
        var total = watch.Elapsed;
        Add("a", total, measured);
        Add("a.qemu", qemu.Elapsed, measured);
        Add("a.websockify", websockify.Elapsed, measured);
        Add("a.probe", total - probeStart, measured);
    }

    /// <summary>
    /// (c) done by hand: a websockify with a token folder already serves a first qemu; the second console
    /// is a qemu -daemonize, a token line written to the folder, and the probe with that token.
    /// </summary>
    private void SecondConsoleByHand(bool measured)
    {
        using var scratch = new Scratch(asHome: false);
        using var secondScratch = new Scratch(asHome: false);
        var tokens = Directory.CreateDirectory(scratch.PathOf("tokens")).FullName;
        var firstDisplay = ProcessTools.FirstFreeDisplay(60);
        HandTyped.StartQemu(scratch, firstDisplay);
        File.WriteAllText(Path.Combine(tokens, "first"), $"first: 127.0.0.1:{5900 + firstDisplay}\n");
        var webPort = ProcessTools.FirstFreePort(6180);
        HandTyped.StartTokenWebsockify(scratch, webPort, tokens);
        WebSocketProbe.WaitForGreeting(WebSocketProbe.ConsoleSocket(webPort, "first"), ProbeTimeout);
        ProcessTools.WaitUntilIdle(ProcessTools.ReadPidFile(scratch.PathOf("qemu.pid")), TimeSpan.FromSeconds(3));

        var display = ProcessTools.FirstFreeDisplay(60);
        var watch = Stopwatch.StartNew();
        HandTyped.StartQemu(secondScratch, display);
        File.WriteAllText(Path.Combine(tokens, "second"), $"second: 127.0.0.1:{5900 + display}\n");
        WebSocketProbe.WaitForGreeting(WebSocketProbe.ConsoleSocket(webPort, "second"), ProbeTimeout);
        Add("c.hand", watch.Elapsed, measured);
    }

    private void QemuAlone(bool measured)
    {
        using var scratch = new Scratch(asHome: false);
        var display = ProcessTools.FirstFreeDisplay(60);
        var watch = Stopwatch.StartNew();
        HandTyped.StartQemu(scratch, display);
        WebSocketProbe.WaitForTcpGreeting(5900 + display, ProbeTimeout);
        Add("qemu", watch.Elapsed, measured);
    }

    private void ModuleFlow(ModuleRunspace session, Scratch scratch, bool measured, Report report)
    {
        try
        {
            TimedConsole(session, scratch, report, "b", "b1", measured);
        }
        finally
        {
            Cleanup(session, scratch, "(b)");
        }
    }

    /// <summary>
    /// Times New-HeadlessVm | Start-VncBridge for VM <paramref name="name"/> and the probe after it, as
    /// <paramref name="key"/>, <paramref name="key"/>.pipeline and <paramref name="key"/>.probe; returns the bridge.
    /// </summary>
    private BridgeInfo TimedConsole(ModuleRunspace session, Scratch scratch, Report report, string key, string name, bool measured)
    {
        var watch = Stopwatch.StartNew();
        var (output, pipeline) = session.Timed(NewVm + " | Start-VncBridge", Vars(name));
        var bridge = BridgeInfo.From(Single(output, "Start-VncBridge"));
        var probeStart = watch.Elapsed;
        WebSocketProbe.WaitForGreeting(bridge.Socket, ProbeTimeout);
        var total = watch.Elapsed;
        Add(key, total, measured);
        Add(key + ".pipeline", pipeline, measured);
        Add(key + ".probe", total - probeStart, measured);
        scratch.Track(bridge.Pid);
        NoteVm(session, scratch, report, name);
        return bridge;
    }

    private void SecondConsole(ModuleRunspace session, Scratch scratch, bool measured, Report report)
    {
        try
        {
            var first = BridgeInfo.From(Single(session.Invoke(NewVm + " | Start-VncBridge", Vars("c1")), "Start-VncBridge"));
            scratch.Track(first.Pid);
            WebSocketProbe.WaitForGreeting(first.Socket, ProbeTimeout);
            // The first guest boots SeaBIOS under TCG for a moment and takes a core meanwhile; qemu alone is
            // timed on a quiet machine, so (c) starts once the first VM has settled.
            ProcessTools.WaitUntilIdle(NoteVm(session, scratch, report, "c1"), TimeSpan.FromSeconds(3));

            var second = TimedConsole(session, scratch, report, "c", "c2", measured);
            if (first.Pid is null || first.Pid != second.Pid)
            {
                _sharedBridgeMisses.Add($"first bridge PID {Show(first.Pid)}, second {Show(second.Pid)}");
            }
        }
        finally
        {
            Cleanup(session, scratch, "(c)");
        }
    }

    /// <summary>
    /// One more (b) and (c) with -Verbose, untimed: when each of the module's verbose messages reached the
    /// pipeline, to show where its time goes.
    /// </summary>
    private void Timeline(ModuleRunspace session, Scratch scratch, Section section, bool second)
    {
        var home = scratch.Folder;
        var events = new List<(TimeSpan At, string Message)>();
        try
        {
            if (second)
            {
                var first = BridgeInfo.From(Single(session.Invoke(NewVm + " | Start-VncBridge", Vars("t1")), "Start-VncBridge"));
                scratch.Track(first.Pid);
                ProcessTools.WaitUntilIdle(NoteVm(session, scratch, null, "t1"), TimeSpan.FromSeconds(3));
            }

            var watch = Stopwatch.StartNew();
            var (output, _) = session.Timed(NewVm + " -Verbose | Start-VncBridge -Verbose", Vars(second ? "t2" : "t1"), (message, at) => events.Add((at, message)));
            var bridge = BridgeInfo.From(Single(output, "Start-VncBridge"));
            var returned = watch.Elapsed;
            WebSocketProbe.WaitForGreeting(bridge.Socket, ProbeTimeout);
            events.Add((returned, "(the pipeline returned)"));
            events.Add((watch.Elapsed, "(the WebSocket probe read the greeting)"));
            scratch.Track(bridge.Pid);
        }
        finally
        {
            Cleanup(session, scratch, "(timeline)");
        }

        section.Table($"{(second ? "(c)" : "(b)")} once more with -Verbose: ms since the pipeline started",
            "Message (when it reached the pipeline, which may be after its step ran)");
        foreach (var (at, message) in events)
        {
            section.Row(Stats.Ms(at.TotalMilliseconds), Shorten(message, home));
        }
    }

    /// <summary>Records the accelerator the VM really uses and tracks its qemu; returns the qemu's PID.</summary>
    private static int? NoteVm(ModuleRunspace session, Scratch scratch, Report? report, string name)
    {
        var vm = Single(session.Invoke("Get-HeadlessVm -Name $name", Vars(name)), "Get-HeadlessVm");
        report?.AcceleratorsUsed.Add(BridgeInfo.Property(vm, "Accelerator")?.ToString() ?? "?");
        var pid = BridgeInfo.Property(vm, "ProcessId") is { } value ? Convert.ToInt32(value, CultureInfo.InvariantCulture) : (int?)null;
        scratch.Track(pid);
        return pid;
    }

    private void Cleanup(ModuleRunspace session, Scratch scratch, string which)
    {
        if (session.RemoveAll() is { } failure)
        {
            _leftovers.Add($"{which}: Get-HeadlessVm | Remove-HeadlessVm -Force failed: {failure}");
        }

        var alive = scratch.Alive();
        if (alive.Count > 0)
        {
            _leftovers.Add($"{which}: Remove-HeadlessVm -Force left {alive.Count} process(es) running ({string.Join(", ", alive.Select(Describe))}); the bench stopped them.");
        }

        scratch.StopProcesses();
    }

    private static string Describe(int pid) => ProcessTools.CommandLine(pid) is [var program, ..] ? $"{Path.GetFileName(program)} {pid}" : pid.ToString(CultureInfo.InvariantCulture);

    private static string Show(int? pid) => pid?.ToString(CultureInfo.InvariantCulture) ?? "none";

    private static Dictionary<string, object?> Vars(string name) => new() { ["name"] = name };

    internal static PSObject Single(IReadOnlyCollection<PSObject> output, string what) => output.Count == 1
        ? output.First()
        : throw new BenchException($"{what} wrote {output.Count} objects; expected one.");

    private static string Shorten(string message, string home, int max = 160)
    {
        // The command lines name the temp folder; it says nothing, and makes the table wide.
        var text = message.Replace(home, "$HEADLESSVM_HOME", StringComparison.Ordinal);
        return text.Length > max ? text[..(max - 3)] + "..." : text;
    }
}
