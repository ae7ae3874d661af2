using System.Diagnostics;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Tests;

/// <summary>
/// The daemon helper against a small real program (a shell script) that exits at once, obeys SIGTERM or
/// ignores it, on cue. Its command line names a marker path, as qemu's names its QMP socket.
/// </summary>
public sealed class DaemonTests : IDisposable
{
    private readonly TempStore _dir = new("hvm-daemon-");
    private readonly List<Process> _started = new();

    public void Dispose()
    {
        foreach (var process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5000);
            }

            process.Dispose();
        }

        _dir.Dispose();
    }

    private string Marker => Path.Combine(_dir.Root, "marker");
    private string Log => Path.Combine(_dir.Root, "signals.log");
    private Daemon Tracked => new(Path.Combine(_dir.Root, "it.pid"), argv => argv.Contains(Marker));

    /// <summary>
    /// Starts the script: "crash" exits at once with 3; "obey" logs SIGTERM and exits 0; "ignore" logs
    /// SIGTERM and goes on. It says "ready" on stdout once its trap is set.
    /// </summary>
    private Process Start(string mode)
    {
        var script = Path.Combine(_dir.Root, "daemon.sh");
        File.WriteAllText(script, """
            case "$2" in
              crash) exit 3 ;;
              obey) trap 'echo TERM >> "$3"; exit 0' TERM ;;
              ignore) trap 'echo TERM >> "$3"' TERM ;;
            esac
            echo ready
            while :; do sleep 0.02; done
            """);
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { script, Marker, mode, Log })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        _started.Add(process);
        if (mode != "crash")
        {
            Assert.Equal("ready", process.StandardOutput.ReadLine());
        }

        return process;
    }

    [Fact]
    public void A_pidfile_is_trusted_only_for_a_live_process_with_the_daemons_own_command_line()
    {
        var daemon = Tracked;
        Assert.Null(daemon.Find());

        var process = Start("obey");
        daemon.RecordPid(process.Id);
        Assert.Equal(process.Id, daemon.Find());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(daemon.PidFile));
        Assert.Equal(new[] { process.Id }, daemon.FindAll());

        // A reused PID: alive, but another program.
        daemon.RecordPid(Environment.ProcessId);
        Assert.Null(daemon.Find());
        // A damaged pidfile does not hide the live daemon: its command line is looked for instead.
        File.WriteAllText(daemon.PidFile, "not a pid");
        Assert.Equal(process.Id, daemon.Find());
        daemon.ForgetPid();
        Assert.False(File.Exists(daemon.PidFile));
        Assert.Null(daemon.Find());
    }

    [Fact]
    public void A_daemon_that_crashed_is_not_found_though_its_pidfile_remains()
    {
        var process = Start("crash");
        Assert.True(process.WaitForExit(10_000));
        Assert.Equal(3, process.ExitCode);
        var daemon = Tracked;
        daemon.RecordPid(process.Id);
        Assert.Null(daemon.Find());
        Assert.Empty(daemon.FindAll());
    }

    [Fact]
    public void Stop_sends_SIGTERM_and_a_daemon_that_obeys_exits_without_SIGKILL()
    {
        var process = Start("obey");
        var signals = new List<int>();
        Assert.True(Daemon.Stop(process.Id, TimeSpan.FromSeconds(10), signalling: signals.Add));
        Assert.Equal(new[] { ProcessInfo.SIGTERM }, signals);
        Assert.True(process.WaitForExit(10_000));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal("TERM", File.ReadAllText(Log).Trim());
    }

    [Fact]
    public void Stop_kills_a_daemon_that_ignores_SIGTERM_once_the_grace_period_is_over()
    {
        var process = Start("ignore");
        var signals = new List<int>();
        Assert.True(Daemon.Stop(process.Id, TimeSpan.FromMilliseconds(300), signalling: signals.Add));
        Assert.Equal(new[] { ProcessInfo.SIGTERM, ProcessInfo.SIGKILL }, signals);
        Assert.True(process.WaitForExit(10_000));
        // It heard SIGTERM (and carried on); SIGKILL cannot be caught: -9 shows as 128 + 9.
        Assert.Equal("TERM", File.ReadAllText(Log).Trim());
        Assert.Equal(137, process.ExitCode);
        Assert.Empty(Tracked.FindAll());
    }

    [Fact]
    public void Cancelling_a_stop_ends_the_wait_and_leaves_the_process_alone()
    {
        var process = Start("ignore");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.ThrowsAny<OperationCanceledException>(() => Daemon.Stop(process.Id, TimeSpan.FromMinutes(5), cancel.Token));
        Assert.True(ProcessInfo.IsAlive(process.Id));
        Assert.True(Daemon.Kill(process.Id, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void FindAll_finds_every_process_with_the_daemons_command_line_and_no_other()
    {
        var first = Start("obey");
        var second = Start("ignore");
        Assert.Equal(new[] { first.Id, second.Id }.Order(), Tracked.FindAll().Order());
        Assert.True(Daemon.Kill(first.Id, TimeSpan.FromSeconds(10)));
        Assert.Equal(new[] { second.Id }, Tracked.FindAll());
    }
}
