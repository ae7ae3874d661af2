using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Tests;

public sealed class ProcessInfoTests : IDisposable
{
    [Fact]
    public void A_backoff_stops_waiting_as_soon_as_it_is_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => new Backoff().Wait(cancelled.Token));
        // Cancelled while waiting out a long pause (a minute): it ends then, not at the pause's end.
        using var later = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        var pause = new Backoff(60_000);
        Action waitForever = () =>
        {
            while (true)
            {
                pause.Wait(later.Token);
            }
        };
        Assert.Throws<OperationCanceledException>(waitForever);
    }

    private readonly string _dir = Directory.CreateTempSubdirectory("hvm-proc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_killed_qemu_counts_as_exited_only_once_its_threads_are_gone_and_its_ports_are_free()
    {
        // After SIGKILL, qemu's first thread turns zombie while its other threads still exit and hold its
        // sockets; treating that moment as "exited" made a restart find its VNC port taken.
        var display = Enumerable.Range(60, 30).First(d => Ports.IsFree("127.0.0.1", 5900 + d));
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var pidFile = Path.Combine(_dir, $"q{attempt}.pid");
            var result = NativeRunner.Run(new NativeCommand("qemu-system-x86_64", new[]
            {
                "-accel", "tcg", "-m", "32", "-display", "none", "-nic", "none",
                "-vnc", $"127.0.0.1:{display}", "-pidfile", pidFile, "-daemonize",
            }));
            Assert.Equal(0, result.ExitCode);
            var pid = int.Parse(File.ReadAllText(pidFile).Trim());
            Assert.True(ProcessInfo.IsAlive(pid));
            Assert.False(Ports.IsFree("127.0.0.1", 5900 + display));

            Assert.True(ProcessInfo.Signal(pid, ProcessInfo.SIGKILL));
            Assert.True(ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(15)));
            Assert.True(Ports.IsFree("127.0.0.1", 5900 + display), $"attempt {attempt}: qemu PID {pid} counted as exited while its VNC port was still held");
        }
    }

    [Fact]
    public void The_current_process_is_alive_with_its_command_line_and_an_unused_pid_is_not()
    {
        Assert.True(ProcessInfo.IsAlive(Environment.ProcessId));
        Assert.NotEmpty(ProcessInfo.CommandLine(Environment.ProcessId)!);
        Assert.True(ProcessInfo.ParentId(Environment.ProcessId) > 0);
        Assert.NotNull(ProcessInfo.Uptime(Environment.ProcessId));
        Assert.False(ProcessInfo.IsAlive(0));
        Assert.False(ProcessInfo.IsAlive(int.MaxValue));
        Assert.Null(ProcessInfo.CommandLine(int.MaxValue));
    }
}
