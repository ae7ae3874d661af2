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

        // Cancelled during a ten-minute pause: the wait ends then. Ignoring the token would keep it
        // waiting out the pause, far past the bound below.
        using var later = new CancellationTokenSource();
        var pause = new Backoff(mostMilliseconds: 600_000, firstMilliseconds: 600_000);
        using var waiting = new ManualResetEventSlim();
        var wait = Task.Run(() =>
        {
            waiting.Set();
            pause.Wait(later.Token);
        });
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(30)));
        later.Cancel();
        Assert.True(((IAsyncResult)wait).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the backoff kept waiting after it was cancelled");
        Assert.IsAssignableFrom<OperationCanceledException>(Assert.Single(wait.Exception!.InnerExceptions));
    }

    // Every qemu below names this folder (its pidfile): the store's sweep kills one an assertion left running.
    private readonly TempStore _store = new("hvm-proc-");

    public void Dispose() => _store.Dispose();

    [Fact]
    public void A_killed_qemu_counts_as_exited_only_once_its_threads_are_gone_and_its_ports_are_free()
    {
        // After SIGKILL, qemu's first thread turns zombie while its other threads still exit and hold its
        // sockets; treating that moment as "exited" made a restart find its VNC port taken.
        // An address of its own: nothing else on the machine listens on its VNC ports.
        var address = FreePorts.PrivateLoopbackAddress();
        const int display = 60;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var pidFile = Path.Combine(_store.Root, $"q{attempt}.pid");
            var result = NativeRunner.Run(new NativeCommand("qemu-system-x86_64", new[]
            {
                "-accel", "tcg", "-m", "32", "-display", "none", "-nic", "none",
                "-vnc", $"{address}:{display}", "-pidfile", pidFile, "-daemonize",
            }));
            Assert.Equal(0, result.ExitCode);
            var pid = int.Parse(File.ReadAllText(pidFile).Trim());
            Assert.True(ProcessInfo.IsAlive(pid));
            Assert.False(Ports.IsFree(address, 5900 + display));

            Assert.True(ProcessInfo.Signal(pid, ProcessInfo.SIGKILL));
            Assert.True(ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(15)));
            Assert.True(Ports.IsFree(address, 5900 + display), $"attempt {attempt}: qemu PID {pid} counted as exited while its VNC port was still held");
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
