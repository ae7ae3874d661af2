using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace HeadlessVm.Bench;

/// <summary>
/// The check noVNC makes without knowing it: a WebSocket to websockify (subprotocol "binary") whose first
/// message is the VNC server's greeting. Also the same greeting over plain TCP, for qemu alone.
/// </summary>
public static class WebSocketProbe
{
    public const string Greeting = "RFB 003.00";

    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    public static Uri ConsoleSocket(int webPort, string? token) =>
        new($"ws://127.0.0.1:{webPort}/websockify{(token is null ? string.Empty : "?token=" + token)}");

    /// <summary>Polls until the greeting arrives through the WebSocket; retries a failed attempt after ~2 ms. Returns the attempts made.</summary>
    public static int WaitForGreeting(Uri socket, TimeSpan timeout) => Poll(() => FirstWebSocketMessage(socket), socket.ToString(), timeout);

    /// <summary>Polls until the greeting arrives on a direct TCP connection to the VNC port.</summary>
    public static int WaitForTcpGreeting(int port, TimeSpan timeout) => Poll(() => FirstTcpBytes(port), $"127.0.0.1:{port}", timeout);

    /// <summary>A WebSocket to websockify as a byte stream (each write one binary message), for an RFB session.</summary>
    public static Stream OpenStream(Uri socket)
    {
        var client = Connect(socket);
        return WebSocketStream.Create(client, WebSocketMessageType.Binary, ownsWebSocket: true);
    }

    private static int Poll(Func<string?> attempt, string what, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var attempts = 0;
        string? last = null;
        while (true)
        {
            attempts++;
            last = attempt();
            if (last is not null && last.StartsWith(Greeting, StringComparison.Ordinal))
            {
                return attempts;
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"No VNC greeting from {what} within {timeout.TotalSeconds:0} s after {attempts} attempts (last reply: {last ?? "none"}).");
            }

            Thread.Sleep(2);
        }
    }

    /// <summary>The first message, as ASCII, or null when the upgrade was refused or the socket closed first.</summary>
    private static string? FirstWebSocketMessage(Uri socket)
    {
        try
        {
            using var client = Connect(socket);
            using var cts = new CancellationTokenSource(AttemptTimeout);
            var buffer = new byte[64];
            var result = client.ReceiveAsync(buffer, cts.Token).GetAwaiter().GetResult();
            return result.MessageType == WebSocketMessageType.Close ? null : Encoding.ASCII.GetString(buffer, 0, result.Count);
        }
        catch (Exception ex) when (ex is WebSocketException or SocketException or IOException or OperationCanceledException or HttpRequestException)
        {
            return null;
        }
    }

    private static string? FirstTcpBytes(int port)
    {
        try
        {
            using var tcp = new TcpClient { NoDelay = true, ReceiveTimeout = (int)AttemptTimeout.TotalMilliseconds };
            tcp.Connect("127.0.0.1", port);
            var buffer = new byte[12];
            tcp.GetStream().ReadExactly(buffer);
            return Encoding.ASCII.GetString(buffer);
        }
        catch (Exception ex) when (ex is SocketException or IOException or EndOfStreamException)
        {
            return null;
        }
    }

    private static ClientWebSocket Connect(Uri socket)
    {
        var client = new ClientWebSocket();
        client.Options.AddSubProtocol("binary");
        try
        {
            using var cts = new CancellationTokenSource(AttemptTimeout);
            client.ConnectAsync(socket, cts.Token).GetAwaiter().GetResult();
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
