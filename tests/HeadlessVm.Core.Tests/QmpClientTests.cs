using System.Text.Json.Nodes;
using System.Diagnostics;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Core.Tests;

/// <summary>QMP framing against a real qemu, started frozen (-S) with its QMP socket in a temp folder.</summary>
public sealed class QmpClientTests : IDisposable
{
    // qemu's pidfile and socket are in this folder: its sweep stops qemu whatever happened.
    private readonly TempStore _store = new("hvm-qmp-");
    private readonly string _dir;

    public QmpClientTests()
    {
        _dir = _store.Root;
        try
        {
            var result = NativeRunner.Run(new NativeCommand("qemu-system-x86_64", new[]
            {
                "-S", "-accel", "tcg", "-m", "32", "-display", "none", "-nic", "none",
                "-chardev", $"socket,id=qmp,path={Socket},server=on,wait=off", "-mon", "chardev=qmp,mode=control",
                "-pidfile", Path.Combine(_dir, "qemu.pid"), "-daemonize",
            }));
            Assert.Equal(0, result.ExitCode);
        }
        catch
        {
            // xunit does not dispose a test class whose constructor threw.
            _store.Dispose();
            throw;
        }
    }

    private string Socket => Path.Combine(_dir, "qmp.sock");

    /// <summary>The qemu started here is this test's to stop: by PID, before the store's sweep (which fails the test on leftovers).</summary>
    public void Dispose()
    {
        if (int.TryParse(File.ReadAllText(Path.Combine(_dir, "qemu.pid")).Trim(), out var pid))
        {
            LeftoverProcesses.Kill(pid, _dir);
        }

        _store.Dispose();
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
        // This qemu has no VNC server, so it refuses; the command went out all the same.
        Assert.Equal("GenericError", Assert.Throws<QmpException>(() => qmp.Execute("set_password", new { protocol = "vnc", password = "s3cretpw" })).ErrorClass);
        Assert.DoesNotContain(trace, t => t.Contains("s3cretpw", StringComparison.Ordinal));
        Assert.Contains(trace, t => t.Contains("********", StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_typed_with_send_key_are_masked_in_the_trace_as_they_may_be_a_password()
    {
        var trace = new List<string>();
        using var qmp = QmpClient.Connect(Socket, TimeSpan.FromSeconds(5), trace.Add);
        foreach (var key in new[] { "s", "3", "x" })
        {
            qmp.Execute("send-key", new JsonObject { ["keys"] = new JsonArray(new JsonObject { ["type"] = "qcode", ["data"] = key }) });
        }

        var sent = trace.Where(t => t.StartsWith("QMP -> ", StringComparison.Ordinal) && t.Contains("send-key", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, sent.Count);
        Assert.All(sent, t => Assert.Contains("\"data\":\"*\"", t, StringComparison.Ordinal));
        Assert.DoesNotContain(sent, t => t.Contains("\"data\":\"s\"", StringComparison.Ordinal) || t.Contains("\"data\":\"3\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_socket_that_is_not_there_fails_with_the_systems_error()
    {
        var error = Assert.Throws<System.Net.Sockets.SocketException>(() => QmpClient.Connect(Path.Combine(_dir, "nothing.sock"), TimeSpan.FromSeconds(2)));
        Assert.Equal(System.Net.Sockets.SocketError.AddressNotAvailable, error.SocketErrorCode);
    }
}
