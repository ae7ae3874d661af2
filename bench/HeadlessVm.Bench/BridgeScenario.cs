using System.Diagnostics;
using System.Globalization;
using HeadlessVm.Testing;

namespace HeadlessVm.Bench;

/// <summary>
/// Scenario 4: bytes through the module's bridge against a plain websockify to the same VNC server and a
/// direct TCP connection, each a full RFB 3.8 session. Through the VM's qemu: connect + handshake (VNC
/// authentication), the round trip of a message qemu answers at once, and of a 1x1 update request (which
/// qemu holds for its refresh timer). Through a VNC server that answers at once: update round trips and
/// whole-screen throughput, which through qemu would only measure its timer.
/// </summary>
public sealed class BridgeScenario : IScenario
{
    public string Key => "bridge";

    public string Title => "4. Bridge";

    public void Run(BenchContext context, Section section)
    {
        using var session = new ModuleRunspace(context.Cancellation);
        using var home = new Scratch(asHome: true);
        using var hand = new Scratch(asHome: false);
        try
        {
            Measure(context, section, session, home, hand);
        }
        finally
        {
            session.RemoveAll();
        }
    }

    private static void Measure(BenchContext context, Section section, ModuleRunspace session, Scratch home, Scratch hand)
    {
        var (vms, _) = PausedVms.Create(session, "br", 1, 1, 128);
        var vm = vms[0];
        home.Track(Int(BridgeInfo.Property(vm, "ProcessId")));
        var vncPort = Int(BridgeInfo.Property(vm, "VncPort")) ?? throw new BenchException("The VM has no VncPort.");
        var bridge = BridgeInfo.From(TimeToConsoleScenario.Single(session.Invoke("Start-VncBridge -VmName br1"), "Start-VncBridge"));
        home.Track(bridge.Pid);
        var plain = PlainWebsockify(hand, vncPort);
        var qemuPaths = new (string Name, Func<RfbClient> Connect)[]
        {
            ("Direct TCP", () => RfbClient.ConnectTcp(vncPort, bridge.Password)),
            ("Plain websockify", () => RfbClient.ConnectWebSocket(plain, bridge.Password)),
            ("Module bridge", () => RfbClient.ConnectWebSocket(bridge.Socket, bridge.Password)),
        };

        // Connect + handshake (VNC authentication, ClientInit, ServerInit, SetEncodings), interleaved.
        var connects = qemuPaths.Select(_ => new List<TimeSpan>()).ToArray();
        var connectRuns = context.WarmUps + context.Runs(20);
        BenchContext.Log($"bridge: {connectRuns} connects per path");
        for (var i = 0; i < connectRuns; i++)
        {
            context.Check();
            for (var p = 0; p < qemuPaths.Length; p++)
            {
                var watch = Stopwatch.StartNew();
                using var client = qemuPaths[p].Connect();
                if (i >= context.WarmUps)
                {
                    connects[p].Add(watch.Elapsed);
                }
            }
        }

        var roundTrips = context.Quick ? 5 : 200;
        var slowTrips = context.Quick ? 1 : 5;
        List<TimeSpan>[] acks;
        List<TimeSpan>[] slowUpdates;
        var clients = qemuPaths.Select(p => p.Connect()).ToArray();
        var screen = $"{clients[0].Width}x{clients[0].Height}, {clients[0].BytesPerPixel * 8} bpp";
        try
        {
            BenchContext.Log($"bridge: {roundTrips} ack round trips and {slowTrips} update round trips per path through qemu");
            acks = RoundTrips(context, clients, 10, roundTrips, AckRoundTrip);
            slowUpdates = RoundTrips(context, clients, 0, slowTrips, UpdateRoundTrip);
        }
        finally
        {
            Dispose(clients);
        }

        section.Table("Through qemu's VNC server (the VM, paused)", "Connect + handshake median ms",
            "Ack RTT median ms", "min", "max", "p95", $"1x1 update RTT median ms ({slowTrips} runs, no warm-up)", "max");
        for (var p = 0; p < qemuPaths.Length; p++)
        {
            var a = Stats.Of(acks[p]);
            section.Row(qemuPaths[p].Name, Stats.Ms(Stats.Of(connects[p]).Median),
                Stats.Ms(a.Median), Stats.Ms(a.Min), Stats.Ms(a.Max), Stats.Ms(a.P95),
                Stats.Ms(Stats.Of(slowUpdates[p]).Median), Stats.Ms(Stats.Of(slowUpdates[p]).Max));
        }

        // The same three paths to a server that answers at once: the module's bridge to it is a -Target bridge.
        using var prompt = new PromptVncServer(1024, 768);
        using var hand2 = new Scratch(asHome: false);
        var plainPrompt = PlainWebsockify(hand2, prompt.Port);
        var promptBridge = BridgeInfo.From(TimeToConsoleScenario.Single(
            session.Invoke($"Start-VncBridge -Target 127.0.0.1:{prompt.Port} -BridgeName prompt"), "Start-VncBridge -Target"));
        home.Track(promptBridge.Pid);
        var promptPaths = new (string Name, Func<RfbClient> Connect)[]
        {
            ("Direct TCP", () => RfbClient.ConnectTcp(prompt.Port, string.Empty)),
            ("Plain websockify", () => RfbClient.ConnectWebSocket(plainPrompt, string.Empty)),
            ("Module bridge (-Target)", () => RfbClient.ConnectWebSocket(promptBridge.Socket, string.Empty)),
        };
        List<TimeSpan>[] updates;
        (double MBps, double Fps)[] throughput;
        var seconds = context.Quick ? 0.2 : 2.0;
        clients = promptPaths.Select(p => p.Connect()).ToArray();
        try
        {
            BenchContext.Log($"bridge: {roundTrips} update round trips per path and {seconds} s of whole-screen updates through a prompt server");
            updates = RoundTrips(context, clients, 10, roundTrips, UpdateRoundTrip);
            throughput = Throughput(context, clients, TimeSpan.FromSeconds(seconds));
        }
        finally
        {
            Dispose(clients);
            session.Cleanup("Stop-VncBridge -Name prompt");
        }

        section.Table("Through a VNC server that answers at once (in the bench process)", "1x1 update RTT median ms", "min", "max", "p95",
            "Whole screen MB/s", "Frames/s");
        for (var p = 0; p < promptPaths.Length; p++)
        {
            var u = Stats.Of(updates[p]);
            section.Row(promptPaths[p].Name, Stats.Ms(u.Median), Stats.Ms(u.Min), Stats.Ms(u.Max), Stats.Ms(u.P95),
                Stats.Num(throughput[p].MBps, "0.0"), Stats.Num(throughput[p].Fps, "0.0"));
        }

        AddedLatency(section, "ack RTT through qemu", acks);
        AddedLatency(section, "1x1 update RTT through the prompt server", updates);
        section.Note($"Whole-screen throughput through the prompt server: plain websockify {Percent(throughput[1].MBps, throughput[0].MBps)}, " +
            $"module bridge {Percent(throughput[2].MBps, throughput[0].MBps)} of direct TCP; module bridge / plain websockify = {Stats.Num(throughput[2].MBps / throughput[1].MBps)}.");
        var directSlow = Stats.Of(slowUpdates[0]).Median;
        section.Note($"qemu holds update replies for its display refresh timer: a 1x1 update round trip straight to qemu took {Stats.Ms(directSlow)} ms (median) " +
            "on this still, paused screen, and each one longer than the one before (qemu stretches the timer by 50 ms per tick, from 30 ms to 3 s, while nothing changes). So through qemu, update round trips and frame rates " +
            "measure that timer, the same on every path; the bridge is timed with messages qemu answers at once (Ack RTT: SetEncodings [raw, QEMU extended key event], " +
            "acknowledged with a one-rectangle update), and with a server that answers update requests at once (1024x768, 32 bpp, raw).");
        section.Note($"qemu's screen: {screen}. {roundTrips} round trips of each kind per path after 10 warm-ups, interleaved across the paths; " +
            $"throughput: non-incremental whole-screen requests back to back for {seconds} s per path, in 10 slices taken in turn. The VM: {PausedVms.How(session)}, 128 MB. " +
            "Every session completes the RFB 3.8 handshake (VNC authentication with the VM's password through qemu; " + VncDes.Backend + ").");
    }

    private static void AddedLatency(Section section, string kind, List<TimeSpan>[] samples)
    {
        var direct = Stats.Of(samples[0]).Median;
        var plain = Stats.Of(samples[1]).Median;
        var module = Stats.Of(samples[2]).Median;
        section.Ratio($"Module bridge's added median {kind} over plain websockify, ms ({Stats.Ms(module)} - {Stats.Ms(plain)})", module - plain, 1);
        section.Note($"Over direct TCP ({kind}, medians): plain websockify +{Stats.Ms(plain - direct)} ms, module bridge +{Stats.Ms(module - direct)} ms.");
    }

    private static string Percent(double part, double whole) => Stats.Num(part / whole * 100, "0") + "%";

    private static Uri PlainWebsockify(Scratch scratch, int vncPort)
    {
        var port = ProcessTools.FirstFreePort(6180);
        HandTyped.StartWebsockify(scratch, port, vncPort, serveNoVnc: false);
        var socket = WebSocketProbe.ConsoleSocket(port, null);
        WebSocketProbe.WaitForGreeting(socket, TimeSpan.FromSeconds(10));
        return socket;
    }

    private static void Dispose(IEnumerable<RfbClient> clients)
    {
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    private static List<TimeSpan>[] RoundTrips(BenchContext context, RfbClient[] clients, int warmUps, int count, Action<RfbClient> roundTrip)
    {
        var samples = clients.Select(_ => new List<TimeSpan>()).ToArray();
        for (var i = 0; i < warmUps + count; i++)
        {
            if (i % 20 == 0)
            {
                context.Check();
            }

            for (var p = 0; p < clients.Length; p++)
            {
                var watch = Stopwatch.StartNew();
                roundTrip(clients[p]);
                if (i >= warmUps)
                {
                    samples[p].Add(watch.Elapsed);
                }
            }
        }

        return samples;
    }

    private static void UpdateRoundTrip(RfbClient client)
    {
        client.RequestUpdate(incremental: false, 0, 0, 1, 1);
        client.ReadUpdate();
    }

    private static void AckRoundTrip(RfbClient client)
    {
        client.SetEncodings(RfbClient.RawEncoding, RfbClient.QemuExtendedKeyEventEncoding);
        var encodings = client.ReadUpdate();
        if (!encodings.Contains(RfbClient.QemuExtendedKeyEventEncoding))
        {
            throw new BenchException($"Expected qemu's extended key event ack, got encodings [{string.Join(", ", encodings)}].");
        }
    }

    /// <summary>
    /// Whole-screen updates back to back, in ten slices per path taken in turn, so that whatever else the
    /// machine does at some moment is spread over the paths alike.
    /// </summary>
    private static (double MBps, double Fps)[] Throughput(BenchContext context, RfbClient[] clients, TimeSpan duration)
    {
        const int Slices = 10;
        var bytes = new long[clients.Length];
        var frames = new int[clients.Length];
        var elapsed = new TimeSpan[clients.Length];
        for (var slice = 0; slice < Slices; slice++)
        {
            context.Check();
            for (var p = 0; p < clients.Length; p++)
            {
                var client = clients[p];
                var start = client.BytesRead;
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < duration / Slices)
                {
                    client.RequestUpdate(incremental: false, 0, 0, client.Width, client.Height);
                    client.ReadUpdate();
                    frames[p]++;
                }

                elapsed[p] += watch.Elapsed;
                bytes[p] += client.BytesRead - start;
            }
        }

        return clients.Select((_, p) => (bytes[p] / 1e6 / elapsed[p].TotalSeconds, frames[p] / elapsed[p].TotalSeconds)).ToArray();
    }

    private static int? Int(object? value) => value is null ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);
}
