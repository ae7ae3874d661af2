using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Tests;

/// <summary>Console servers on real websockify: one per settings, sharing, the port search, stopping by PID.</summary>
public sealed class ConsoleServersTests : IDisposable
{
    private readonly TempStore _store = new("hvm-servers-");
    private readonly RecordingHost _host = new();
    private readonly int _first;

    public ConsoleServersTests()
    {
        // Three free ports in a row, away from 6080 where the module's own tests run.
        _first = Enumerable.Range(17000, 2000).First(p => Enumerable.Range(p, 3).All(q => Ports.IsFree("127.0.0.1", q)));
    }

    public void Dispose() => _store.Dispose();

    private ConsoleServers Servers => new(_store.Paths, _host, _first);

    private static BridgeRequest Request(string? webRoot = null, int? port = null) =>
        new("v", null, null, port, "127.0.0.1", webRoot, null, null);

    private string OtherWebRoot()
    {
        var root = Directory.CreateDirectory(Path.Combine(_store.Root, "web")).FullName;
        File.WriteAllText(Path.Combine(root, "vnc.html"), "<html>noVNC</html>");
        return root;
    }

    [Fact]
    public void Bridges_with_equal_settings_share_one_server_and_other_settings_get_the_next_free_port()
    {
        var servers = Servers;
        using var holder = new TcpListener(IPAddress.Loopback, _first);
        holder.Start();

        // The first free port from the first: the held one is skipped.
        var one = servers.Ensure("a", ConsoleSettings.Check("a", Request()), null, CancellationToken.None);
        Assert.Equal(_first + 1, one.WebPort);
        var files = servers.FilesOf("127.0.0.1", one.WebPort);
        var pid = servers.FindProcess(files);
        Assert.NotNull(pid);
        Assert.Contains(files.LogFile, ProcessInfo.CommandLine(pid.Value)!);
        Assert.Contains($"Port {_first} is taken; the console of 'a' uses port {_first + 1}.", _host.Verbose);

        // The same settings: the same server, no second websockify.
        var again = servers.Ensure("b", ConsoleSettings.Check("b", Request()), null, CancellationToken.None);
        Assert.Equal(one.WebPort, again.WebPort);
        Assert.Equal(pid, servers.FindProcess(files));
        Assert.Single(LeftoverProcesses.Find(files.LogFile).Select(p => p.Pid), p => !ProcessInfo.Children(pid.Value).Contains(p));

        // Another web root: its own server, on the next port that is neither held nor the first server's.
        var other = servers.Ensure("c", ConsoleSettings.Check("c", Request(OtherWebRoot())), null, CancellationToken.None);
        Assert.Equal(_first + 2, other.WebPort);
        var otherPid = servers.FindProcess(servers.FilesOf("127.0.0.1", other.WebPort));
        Assert.NotNull(otherPid);
        Assert.NotEqual(pid, otherPid);

        // Asking the first server's port for the other settings is refused, naming why.
        var refused = Assert.Throws<HeadlessVmException>(() =>
            servers.Ensure("d", ConsoleSettings.Check("d", Request(OtherWebRoot(), one.WebPort)), one.WebPort, CancellationToken.None));
        Assert.Equal("WebPortInUse", refused.ErrorId);
        Assert.Contains("other settings", refused.Message);

        servers.Stop(files);
        servers.Stop(servers.FilesOf("127.0.0.1", other.WebPort));
        Assert.True(ProcessInfo.WaitForExit(pid.Value, TimeSpan.FromSeconds(10)));
        Assert.True(ProcessInfo.WaitForExit(otherPid.Value, TimeSpan.FromSeconds(10)));
        Assert.False(Directory.Exists(files.Folder));
        Assert.Empty(LeftoverProcesses.Find(_store.Root));
    }

    [Fact]
    public void A_server_stops_when_idle_and_not_while_a_token_is_on_it()
    {
        var servers = Servers;
        var record = servers.Ensure("a", ConsoleSettings.Check("a", Request()), null, CancellationToken.None);
        var files = servers.FilesOf(record.ListenAddress, record.WebPort);
        var pid = servers.FindProcess(files)!.Value;
        TokenLine.New("127.0.0.1:5999").Write(files, "a");

        servers.StopIfIdle(files);
        Assert.True(ProcessInfo.IsAlive(pid));
        Assert.True(servers.HasTokens(files));

        File.Delete(files.TokenFile("a"));
        servers.StopIfIdle(files);
        Assert.True(ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(10)));
        Assert.Null(servers.FindProcess(files));
        Assert.False(Directory.Exists(files.Folder));
    }

    [Fact]
    public void A_requested_port_another_program_holds_is_refused_and_no_server_is_left()
    {
        using var holder = new TcpListener(IPAddress.Loopback, _first);
        holder.Start();
        var servers = Servers;
        var ex = Assert.Throws<HeadlessVmException>(() => servers.Ensure("a", ConsoleSettings.Check("a", Request(port: _first)), _first, CancellationToken.None));
        Assert.Equal("WebPortInUse", ex.ErrorId);
        Assert.Equal(FailureKind.ResourceUnavailable, ex.Kind);
        Assert.Empty(LeftoverProcesses.Find(_store.Root));
    }
}
