using System.Diagnostics;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Core.Tests;

/// <summary>QMP framing against a real qemu, started frozen (-S) with its QMP socket in a temp folder.</summary>
public sealed class QmpClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hvm-qmp-").FullName;
    private readonly int _pid;

    public QmpClientTests()
    {
        var pidFile = Path.Combine(_dir, "qemu.pid");
        var result = NativeRunner.Run(new NativeCommand("qemu-system-x86_64", new[]
        {
            "-S", "-accel", "tcg", "-m", "32", "-display", "none", "-nic", "none",
            "-chardev", $"socket,id=qmp,path={Socket},server=on,wait=off", "-mon", "chardev=qmp,mode=control",
            "-pidfile", pidFile, "-daemonize",
        }));
        Assert.Equal(0, result.ExitCode);
        _pid = int.Parse(File.ReadAllText(pidFile).Trim());
    }

    private string Socket => Path.Combine(_dir, "qmp.sock");

    public void Dispose()
    {
        ProcessInfo.Signal(_pid, ProcessInfo.SIGKILL);
        ProcessInfo.WaitForExit(_pid, TimeSpan.FromSeconds(5));
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void QueryStatus_and_ExecuteOnce_negotiate_and_run_one_command_sent_with_the_connection()
    {
        var trace = new List<string>();
        // Started with -S: qemu reports prelaunch.
        Assert.Equal("prelaunch", QmpClient.QueryStatus(Socket, TimeSpan.FromSeconds(5), trace.Add));
        // Both commands went out before the greeting was read: the first line received is the greeting.
        Assert.Equal(new[] { "->", "->", "<-", "<-", "<-" }, trace.Select(t => t[4..6]));
        Assert.Contains("qmp_capabilities", trace[0]);
        Assert.Contains("query-status", trace[1]);
        Assert.Contains("\"QMP\"", trace[2]);

        var error = Assert.Throws<QmpException>(() => QmpClient.ExecuteOnce(Socket, TimeSpan.FromSeconds(5), null, CancellationToken.None, "no-such-command", null));
        Assert.Equal("CommandNotFound", error.ErrorClass);
        Assert.Equal("running", (QmpClient.ExecuteOnce(Socket, TimeSpan.FromSeconds(5), null, CancellationToken.None, "cont", null), QmpClient.QueryStatus(Socket, TimeSpan.FromSeconds(5))).Item2);
    }

    [Fact]
    public void Connect_reads_the_greeting_negotiates_capabilities_and_runs_commands()
    {
        var trace = new List<string>();
        using var qmp = QmpClient.Connect(Socket, TimeSpan.FromSeconds(5), trace.Add);
        Assert.NotNull(qmp.Greeting!["QMP"]!["version"]);
        Assert.Equal("prelaunch", qmp.Execute("query-status")!["status"]!.GetValue<string>());
        Assert.Contains(trace, t => t.StartsWith("QMP -> {\"execute\":\"qmp_capabilities\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_QMP_error_becomes_a_QmpException_with_qemus_class_and_description()
    {
        using var qmp = QmpClient.Connect(Socket, TimeSpan.FromSeconds(5));
        var ex = Assert.Throws<QmpException>(() => qmp.Execute("no-such-command"));
        Assert.Equal("CommandNotFound", ex.ErrorClass);
        Assert.Contains("no-such-command", ex.Description);
    }

    [Fact]
    public void Events_between_a_command_and_its_answer_are_kept_and_can_be_awaited()
    {
        using var qmp = QmpClient.Connect(Socket, TimeSpan.FromSeconds(5));
        qmp.Execute("cont");
        qmp.Execute("stop");
        var stop = qmp.WaitForEvent("STOP");
        Assert.Equal("STOP", stop["event"]!.GetValue<string>());
        Assert.Equal("paused", qmp.Execute("query-status")!["status"]!.GetValue<string>());
    }

    [Fact]
    public void Passwords_are_masked_in_the_trace()
    {
        var trace = new List<string>();
        using var qmp = QmpClient.Connect(Socket, TimeSpan.FromSeconds(5), trace.Add);
        Assert.ThrowsAny<Exception>(() => qmp.Execute("set_password", new { protocol = "vnc", password = "s3cretpw" }));
        Assert.DoesNotContain(trace, t => t.Contains("s3cretpw", StringComparison.Ordinal));
        Assert.Contains(trace, t => t.Contains("********", StringComparison.Ordinal));
    }

    [Fact]
    public void A_socket_nobody_listens_on_fails_fast()
    {
        Assert.ThrowsAny<Exception>(() => QmpClient.Connect(Path.Combine(_dir, "nothing.sock"), TimeSpan.FromSeconds(2)));
    }
}
