using System.Net.WebSockets;
using System.Text;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core.Tests.Tunnels;

/// <summary>
/// Bridges to VNC servers on unix sockets (an ssh tunnel's socket, a local libvirt VM's VNC socket): real qemu VNC servers
/// listening on sockets (-vnc unix:PATH, no guest), a real websockify serving them as unix_socket: tokens.
/// </summary>
public sealed class UnixSocketConsoleTests : IDisposable
{
    private readonly TempStore _store = new("hvm-unixvnc-");
    private readonly RecordingHost _host = new();

    private readonly List<string> _qemus = new();

    /// <summary>Stops the qemus this test started, by the PIDs their pidfiles hold, before the store's sweep looks for leftovers.</summary>
    public void Dispose()
    {
        foreach (var pidFile in _qemus.Where(File.Exists))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && ProcessInfo.CommandLine(pid) is { } argv && argv.Contains(pidFile))
            {
                ProcessInfo.Signal(pid, ProcessInfo.SIGKILL);
                ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(10));
            }
        }

        _store.Dispose();
    }

    private string Vnc(string name)
    {
        var socket = Path.Combine(_store.Root, name + ".sock");
        var result = NativeRunner.Run(new NativeCommand("qemu-system-x86_64", new[]
        {
            "-machine", "none", "-display", "none", "-vnc", "unix:" + socket, "-daemonize", "-pidfile", Path.Combine(_store.Root, name + ".pid"),
        }));
        _qemus.Add(Path.Combine(_store.Root, name + ".pid"));
        Assert.True(result.ExitCode == 0, result.Message);
        return socket;
    }

    [Fact]
    public void The_peers_of_a_listening_socket_are_the_sockets_its_clients_hold()
    {
        var path = Vnc("a");
        Assert.Equal("RFB 003.008", RfbGreeting.Read(new System.Net.Sockets.UnixDomainSocketEndPoint(path), TimeSpan.FromSeconds(5)));
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        client.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        var mine = UnixSockets.InodesOf(Environment.ProcessId);
        // On a loaded machine the server may not have accepted this connection yet, and the greeting's own connection, closed
        // on this side, can outlive it for a moment (until the server closes its end): wait, bounded, for exactly this one.
        var clients = UnixSockets.ClientsOf(path);
        for (var deadline = DateTime.UtcNow.AddSeconds(10); clients.Count != 1 && DateTime.UtcNow < deadline; clients = UnixSockets.ClientsOf(path))
        {
            Thread.Sleep(50);
        }

        Assert.Single(clients);
        Assert.True(mine.Overlaps(clients));
        Assert.Empty(UnixSockets.ClientsOf(path + ".none"));
    }

    [Fact]
    public void Ending_a_revoked_bridges_connections_to_a_unix_socket_cuts_its_viewer_and_not_the_other()
    {
        var (a, b) = (Vnc("a"), Vnc("b"));
        var servers = new ConsoleServers(_store.Paths, _host, Enumerable.Range(17100, 900).First(p => Ports.IsFree("127.0.0.1", p)));
        var server = servers.Ensure("a", ConsoleSettings.Check("a", new BridgeRequest("a", null, null, null, "127.0.0.1", null, null, null)), null, CancellationToken.None);
        var files = servers.FilesOf(server.ListenAddress, server.WebPort);
        var tokenA = TokenLine.New("unix_socket:" + a);
        var tokenB = TokenLine.New("unix_socket:" + b);
        tokenA.Write(files, "a");
        tokenB.Write(files, "b");

        using var viewerA = Open(server.WebPort, tokenA.Token);
        using var viewerB = Open(server.WebPort, tokenB.Token);
        File.Delete(files.TokenFile("a"));
        servers.EndConnections(servers.FindProcess(files)!.Value, "a", a);

        Assert.True(IsClosed(viewerA));
        Assert.False(IsClosed(viewerB));
        Assert.Contains(_host.Verbose, v => v.StartsWith("Bridge 'a': ending its connection handler", StringComparison.Ordinal));
        servers.Stop(files);
    }

    private static ClientWebSocket Open(int port, string token)
    {
        var client = new ClientWebSocket();
        client.Options.AddSubProtocol("binary");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        client.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/websockify?token={token}"), cts.Token).GetAwaiter().GetResult();
        var buffer = new byte[64];
        var result = client.ReceiveAsync(buffer, cts.Token).GetAwaiter().GetResult();
        Assert.StartsWith("RFB 003.", Encoding.ASCII.GetString(buffer, 0, result.Count));
        return client;
    }

    /// <summary>True when the far end closes or drops the WebSocket within 3 s (a VNC server says nothing unasked after its greeting).</summary>
    private static bool IsClosed(ClientWebSocket client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            return client.ReceiveAsync(new byte[256], cts.Token).GetAwaiter().GetResult().MessageType == WebSocketMessageType.Close;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (WebSocketException)
        {
            return true;
        }
    }
}
