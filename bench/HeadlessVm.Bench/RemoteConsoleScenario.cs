using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;

namespace HeadlessVm.Bench;

/// <summary>
/// Scenario 7: the console of a VM on another host, through ssh. From <c>Get-HeadlessVm -ComputerName h1 NAME |
/// Start-VncBridge</c> to the VM's RFB greeting through the console's WebSocket: the first console of the host (the
/// ssh master logs in) and a second one beside it (the master is reused: one <c>ssh -O forward</c>); beside the same done
/// by hand: <c>ssh -f -N -L SOCKET:127.0.0.1:VNCPORT</c>, a token line for a websockify that already runs, and the same
/// probe. The console server of the module runs already too (a -Target bridge keeps it), so both sides time the
/// tunnel, the token and the greeting. The host is h1 of a bed of its own (tests/hosts/hostbed.sh up 1), started and
/// stopped here; its VMs are paused (nothing to boot, 32 MB), which leaves their VNC servers answering.
/// </summary>
public sealed class RemoteConsoleScenario : IScenario
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public string Key => "remote";

    public string Title => "7. Consoles across hosts";

    public void Run(BenchContext context, Section section)
    {
        var runs = context.Runs(10);
        using var session = new ModuleRunspace(context.Cancellation);
        using var home = new Scratch(asHome: true);
        using var hand = new Scratch(asHome: false);
        var prefix = "hvr-" + Guid.NewGuid().ToString("N")[..4];
        var (first, second) = (prefix + "a", prefix + "b");
        var facts = new BenchBed("hvr", 234);
        try
        {
            BenchContext.Log("remote: host bed up 1");
            facts.Up(1);
            session.Invoke("Connect-HeadlessVmHost h1 -Uri $u | Out-Null", new Dictionary<string, object?> { ["u"] = facts["h1.uri_ssh"] });
            var vms = session.Invoke("$n | ForEach-Object { New-HeadlessVm $_ -ComputerName h1 -MemoryMB 32 -Network None -Paused }",
                new Dictionary<string, object?> { ["n"] = new[] { first, second } });
            var vncPort = Convert.ToInt32(BridgeInfo.Property(vms[0], "VncPort") ?? throw new BenchException("The VM on h1 has no VncPort."), CultureInfo.InvariantCulture);

            var webPort = ProcessTools.FirstFreePort(6280);
            var keeper = BridgeInfo.From(TimeToConsoleScenario.Single(
                session.Invoke($"Start-VncBridge -Target 127.0.0.1:9 -BridgeName keep -WebPort {webPort}"), "Start-VncBridge -Target"));
            home.Track(keeper.Pid);
            var handPort = ProcessTools.FirstFreePort(webPort + 1);
            var tokens = Directory.CreateDirectory(hand.PathOf("tokens")).FullName;
            HandTyped.StartTokenWebsockify(hand, handPort, tokens);

            var firstConsole = new List<TimeSpan>();
            var secondConsole = new List<TimeSpan>();
            var byHand = new List<TimeSpan>();
            var secondPipeline = new List<TimeSpan>();
            var handSsh = new List<TimeSpan>();
            var start = "Get-HeadlessVm $n -ComputerName h1 | Start-VncBridge -WebPort $w";
            BenchContext.Log($"remote: {context.WarmUps + runs} rounds of first console, second console, by hand");
            for (var i = 0; i < context.WarmUps + runs; i++)
            {
                context.Check();
                var a = ToGreeting(session, start, first, webPort);
                var b = ToGreeting(session, start, second, webPort);
                session.Invoke($"Stop-VncBridge h1~{second}, h1~{first}");
                AssertNoMaster(home);
                var h = ByHand(hand, facts["ssh_command"], facts["h1.address"], vncPort, handPort, tokens);
                if (i >= context.WarmUps)
                {
                    firstConsole.Add(a.Total);
                    secondConsole.Add(b.Total);
                    secondPipeline.Add(b.Pipeline);
                    byHand.Add(h.Total);
                    handSsh.Add(h.Ssh);
                }
            }

            section.TimingTable("To the RFB greeting through the console's WebSocket (h1: sshd in a namespace on this machine)");
            var firstStats = Stats.Of(firstConsole);
            var secondStats = Stats.Of(secondConsole);
            var handStats = Stats.Of(byHand);
            section.Timing("Module, the host's first console: `Get-HeadlessVm -ComputerName h1 NAME | Start-VncBridge` (ssh master logs in)", firstStats);
            section.Timing("Module, a second console on the same host (the master is reused)", secondStats);
            section.Timing("By hand: `ssh -f -N -L SOCKET:127.0.0.1:PORT h1` + a token line for the running websockify", handStats);
            section.Note($"Of these, medians: the second console's pipeline (Get-HeadlessVm over the warm libvirt connection, then Start-VncBridge) " +
                $"{Stats.Ms(Stats.Of(secondPipeline).Median)} ms, the rest being the greeting through websockify and the tunnel; by hand, `ssh -f` returned after " +
                $"{Stats.Ms(Stats.Of(handSsh).Median)} ms.");
            section.Ratio("Module's first console / by hand (medians)", firstStats.Median / handStats.Median, 1.2);
            section.Target("Second console on the same host, median", secondStats.Median, "ms", 100);
            section.Note($"Each round: the first console, the second beside it, both stopped (the master ends with the host's last bridge), then by hand; " +
                $"{runs} rounds after {context.WarmUps} warm-up. Both sides' websockify already runs; by hand knows the VNC port ({vncPort}) beforehand, " +
                "while the module reads it from libvirt (a warm connection) in the pipeline. ssh: the bed's ssh_config (ed25519 key, known_hosts, BatchMode); " +
                "no network latency (the host is a namespace on this machine), so a real network adds its round trips to the login and to each forward alike.");
        }
        finally
        {
            session.Cleanup($"Get-VncBridge | Stop-VncBridge; Get-HeadlessVm '{prefix}*' -ComputerName h1 | Remove-HeadlessVm -Force");
            facts.Down(section);
        }
    }

    /// <summary>The pipeline that starts the console, then the greeting through its WebSocket: the time of both, and of the pipeline alone.</summary>
    private static (TimeSpan Total, TimeSpan Pipeline) ToGreeting(ModuleRunspace session, string script, string name, int webPort)
    {
        var watch = Stopwatch.StartNew();
        var bridge = BridgeInfo.From(TimeToConsoleScenario.Single(session.Invoke(script, new Dictionary<string, object?> { ["n"] = name, ["w"] = webPort }), "Start-VncBridge"));
        var pipeline = watch.Elapsed;
        WebSocketProbe.WaitForGreeting(bridge.Socket, Wait);
        return (watch.Elapsed, pipeline);
    }

    /// <summary>The module's master ended with its last bridge (else the next "first console" would not log in).</summary>
    private static void AssertNoMaster(Scratch home)
    {
        if (ProcessTools.Mentioning(Path.Combine(home.Folder, "ssh") + "/").Count > 0)
        {
            throw new BenchException("The ssh master of h1 outlived its last bridge.");
        }
    }

    /// <summary>ssh -f -N -L to a socket (it returns once logged in with the forward in place), a token line, the probe; then the ssh is stopped by PID.</summary>
    private static (TimeSpan Total, TimeSpan Ssh) ByHand(Scratch hand, string ssh, string address, int vncPort, int webPort, string tokens)
    {
        var socket = hand.PathOf("h1.sock");
        var watch = Stopwatch.StartNew();
        var r = ProcessTools.Run(ssh, new[]
        {
            "-f", "-N", "-o", "ExitOnForwardFailure=yes", "-o", "ControlPath=none",
            "-L", $"{socket}:127.0.0.1:{vncPort.ToString(CultureInfo.InvariantCulture)}", "root@" + address,
        }, Wait);
        if (r.ExitCode != 0)
        {
            throw new BenchException($"ssh -L failed ({r.ExitCode}): {r.StandardError.Trim()}");
        }

        var sshDone = watch.Elapsed;
        File.WriteAllText(Path.Combine(tokens, "hand"), $"hand: unix_socket:{socket}\n");
        WebSocketProbe.WaitForGreeting(WebSocketProbe.ConsoleSocket(webPort, "hand"), Wait);
        var elapsed = watch.Elapsed;
        foreach (var pid in ProcessTools.Mentioning(socket))
        {
            if (ProcessTools.Identify(pid) is { } who)
            {
                ProcessTools.Stop(who, TimeSpan.FromSeconds(5));
            }
        }

        File.Delete(socket);
        File.Delete(Path.Combine(tokens, "hand"));
        return (elapsed, sshDone);
    }
}
