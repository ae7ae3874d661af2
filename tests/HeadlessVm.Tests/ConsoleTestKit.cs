using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>Small real clients for the console tests: a WebSocket, a raw RFB handshake, waits on the serial log.</summary>
public static class ConsoleTestKit
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Opens a WebSocket to websockify and returns what the VNC server sent first, or null when the upgrade was refused.</summary>
    public static string? FirstBytesOverWebSocket(Uri ws)
    {
        using var client = new ClientWebSocket();
        client.Options.AddSubProtocol("binary");
        client.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            client.ConnectAsync(ws, cts.Token).GetAwaiter().GetResult();
        }
        catch (WebSocketException)
        {
            return null;
        }

        var buffer = new byte[64];
        var result = client.ReceiveAsync(buffer, cts.Token).GetAwaiter().GetResult();
        return Encoding.ASCII.GetString(buffer, 0, result.Count);
    }

    /// <summary>An open WebSocket through websockify, the VNC greeting already read; the caller disposes it.</summary>
    public static ClientWebSocket OpenWebSocket(Uri ws)
    {
        var client = new ClientWebSocket();
        client.Options.AddSubProtocol("binary");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        client.ConnectAsync(ws, cts.Token).GetAwaiter().GetResult();
        var buffer = new byte[64];
        var result = client.ReceiveAsync(buffer, cts.Token).GetAwaiter().GetResult();
        Assert.StartsWith("RFB 003.", Encoding.ASCII.GetString(buffer, 0, result.Count));
        return client;
    }

    /// <summary>
    /// True when the far end closes or drops the WebSocket within a few seconds; false when it stays open
    /// (the VNC server sends nothing unasked after its greeting, so a receive just waits).
    /// </summary>
    public static bool IsClosed(ClientWebSocket client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            var result = client.ReceiveAsync(new byte[256], cts.Token).GetAwaiter().GetResult();
            return result.MessageType == WebSocketMessageType.Close;
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

    /// <summary>Live processes whose command line mentions <paramref name="text"/> (a test's state folder).</summary>
    public static IReadOnlyList<int> ProcessesMentioning(string text) =>
        ProcessInfo.AllIds()
            .Where(pid => ProcessInfo.IsAlive(pid) && ProcessInfo.CommandLine(pid) is { } argv && argv.Any(a => a.Contains(text, StringComparison.Ordinal)))
            .ToArray();

    /// <summary>Live qemu processes whose command line names <paramref name="qmpSocket"/> (a VM's own QMP socket).</summary>
    public static IReadOnlyList<int> QemusWithSocket(string qmpSocket) =>
        ProcessesMentioning($"path={qmpSocket},").Where(p => ProcessInfo.CommandLine(p) is [var program, ..] && program.Contains("qemu", StringComparison.Ordinal)).ToArray();

    public static Uri WebSocketUri(Uri consoleUrl, string? token)
    {
        var scheme = consoleUrl.Scheme == "https" ? "wss" : "ws";
        var query = token is null ? string.Empty : "?token=" + token;
        return new Uri($"{scheme}://{consoleUrl.Authority}/websockify{query}");
    }

    /// <summary>The token the console URL carries in its path setting.</summary>
    public static string TokenOf(Uri consoleUrl)
    {
        var path = Uri.UnescapeDataString(consoleUrl.Query.Split("path=")[1].Split('&')[0]);
        return path.Split("token=")[1];
    }

    /// <summary>
    /// Speaks RFB 3.8 to a VNC server and answers its VNC-auth challenge with <paramref name="response"/>.
    /// Returns the security types offered and the SecurityResult (0 ok, 1 failed).
    /// </summary>
    public static (byte[] SecurityTypes, uint Result) VncAuth(int port, byte[] response)
    {
        using var tcp = new TcpClient("127.0.0.1", port) { ReceiveTimeout = 10000, SendTimeout = 10000 };
        var s = tcp.GetStream();
        var version = ReadExactly(s, 12);
        Assert.StartsWith("RFB 003.", Encoding.ASCII.GetString(version));
        s.Write("RFB 003.008\n"u8);
        var count = ReadExactly(s, 1)[0];
        Assert.NotEqual(0, count);
        var types = ReadExactly(s, count);
        if (!types.Contains((byte)2))
        {
            return (types, uint.MaxValue);
        }

        s.WriteByte(2);
        ReadExactly(s, 16);
        s.Write(response);
        var result = ReadExactly(s, 4);
        return (types, (uint)(result[0] << 24 | result[1] << 16 | result[2] << 8 | result[3]));
    }

    public static void WaitForSerial(string serialLog, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (File.Exists(serialLog) && File.ReadAllText(serialLog).Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                var tail = File.Exists(serialLog) ? File.ReadAllText(serialLog) : "(no serial log)";
                throw new Xunit.Sdk.XunitException($"'{text}' did not appear on the serial console within {timeout}. Serial: {tail[Math.Max(0, tail.Length - 1000)..]}");
            }

            Thread.Sleep(200);
        }
    }

    public static int ParentOf(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    public static int SessionOf(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[3]);
    }

    public static void AssertDead(int pid) => Assert.True(ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(10)), $"process {pid} is still alive");

    private static byte[] ReadExactly(Stream s, int n)
    {
        var buffer = new byte[n];
        s.ReadExactly(buffer);
        return buffer;
    }
}
