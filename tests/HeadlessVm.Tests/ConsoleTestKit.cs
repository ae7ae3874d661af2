using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>Small real clients for the console tests: a WebSocket, a raw RFB handshake, waits on the serial log.</summary>
public static class ConsoleTestKit
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Every file (sockets too) and folder under <paramref name="root"/>, and the root itself, has no right for group or
    /// others; fails naming each one that has, with its mode. <paramref name="except"/> (a test's work folder inside the
    /// state root, holding the user's own files such as disk images) is left out. Returns how many entries it looked at.
    /// </summary>
    public static int AssertAllPrivate(string root, string? except = null)
    {
        var entries = Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(e => except is null || (e != except && !e.StartsWith(except + "/", StringComparison.Ordinal)))
            .Prepend(root).ToList();
        var open = entries.Select(e => (Path: e, Mode: File.GetUnixFileMode(e))).Where(e => (e.Mode & GroupOrOther) != 0)
            .Select(e => $"{e.Path} ({Convert.ToString((int)e.Mode, 8)})").ToList();
        Assert.True(open.Count == 0, "state entries readable or writable by group or others:\n  " + string.Join("\n  ", open));
        return entries.Count;
    }

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
    /// Asserts that the far end closes or drops the WebSocket: a receive ends with a Close frame or an
    /// error. The VNC server sends nothing unasked after its greeting, so on an open connection the
    /// receive would wait; it is bounded (10 s) and then fails the test.
    /// </summary>
    public static void AssertClosed(ClientWebSocket client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var result = client.ReceiveAsync(new byte[256], cts.Token).GetAwaiter().GetResult();
            Assert.True(result.MessageType == WebSocketMessageType.Close, $"the console connection is still open: it sent {result.Count} bytes");
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException("the console connection is still open 10 s after it should have been cut");
        }
        catch (WebSocketException)
        {
        }
    }

    /// <summary>
    /// Asserts that the WebSocket (greeting already read) still reaches the VNC server: it answers the
    /// client's ProtocolVersion with its security types (RFC 6143, 7.1.1 and 7.1.2), within 10 s.
    /// </summary>
    public static void AssertOpen(ClientWebSocket client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        client.SendAsync("RFB 003.008\n"u8.ToArray(), WebSocketMessageType.Binary, true, cts.Token).GetAwaiter().GetResult();
        var buffer = new byte[64];
        var result = client.ReceiveAsync(buffer, cts.Token).GetAwaiter().GetResult();
        Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
        Assert.True(result.Count >= 2 && buffer[0] > 0, $"the VNC server answered {result.Count} bytes, not its security types");
    }

    /// <summary>Live qemu processes whose command line names <paramref name="qmpSocket"/> (a VM's own QMP socket, in the VM's folder).</summary>
    public static IReadOnlyList<int> QemusWithSocket(string qmpSocket) =>
        LeftoverProcesses.Find(Path.GetDirectoryName(qmpSocket)!)
            .Where(p => p.CommandLine.Contains($"path={qmpSocket},", StringComparison.Ordinal)
                && ProcessInfo.CommandLine(p.Pid) is [var program, ..] && program.Contains("qemu", StringComparison.Ordinal))
            .Select(p => p.Pid)
            .ToArray();

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

    /// <summary>
    /// Proves the VM's VNC password works: qemu's VNC server, asked over RFB with the password in the VM's
    /// vnc.password, accepts it (SecurityResult 0), and refuses a wrong one. qemu started with password=on
    /// refuses everyone until set_password arrives, so this fails when the module never sent it.
    /// </summary>
    public static void AssertVncPasswordAccepted(PowerShellSession ps, string vmName)
    {
        var vm = ps.Ok($"Get-HeadlessVm '{vmName}'").Single();
        var address = (string)vm.Properties["VncAddress"].Value;
        var port = (int)vm.Properties["VncPort"].Value;
        var password = File.ReadAllText(ps.Paths.ForVm(vmName).VncPasswordFile).Trim();
        Assert.False(string.IsNullOrEmpty(password));

        var right = VncProbe.Authenticate(address, port, password);
        // VNC authentication is the only way in: no "None" security type is offered.
        Assert.Equal(new byte[] { 2 }, right.SecurityTypes);
        Assert.True(right.Accepted, $"VM '{vmName}' ({address}:{port}) refused its own VNC password: {right}");

        var wrong = VncProbe.Authenticate(address, port, new string(password.Select(c => c == 'x' ? 'y' : 'x').ToArray()));
        Assert.True(wrong.Result == VncProbe.Failed, $"VM '{vmName}' did not refuse a wrong VNC password: {wrong}");
    }

    public static void AssertDead(int pid) => Assert.True(ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(10)), $"process {pid} is still alive");
}
