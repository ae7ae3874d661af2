using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Tests;

public sealed class PortsTests
{
    [Fact]
    public void A_port_with_a_listener_is_busy_and_free_again_once_it_closes()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.False(Ports.IsFree("127.0.0.1", port));
        listener.Stop();
        Assert.True(Ports.IsFree("127.0.0.1", port));
    }

    [Fact]
    public void A_port_left_in_TIME_WAIT_by_a_closed_session_counts_as_free_as_it_does_for_qemu()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using (var client = new TcpClient())
        {
            client.Connect(IPAddress.Loopback, port);
            using var server = listener.AcceptTcpClient();
            // The server closes first, so the server's side of the connection sits in TIME_WAIT on the port.
            server.Client.Shutdown(SocketShutdown.Both);
            server.Close();
            Thread.Sleep(100);
        }

        listener.Stop();
        Assert.True(InTimeWait(port), "the test needs a TIME_WAIT connection on the port");
        Assert.True(Ports.IsFree("127.0.0.1", port));
    }

    /// <summary>True when /proc/net/tcp lists a connection on the local port in state 06 (TIME_WAIT).</summary>
    private static bool InTimeWait(int port) =>
        File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(f => f[1].EndsWith(":" + port.ToString("X4"), StringComparison.Ordinal) && f[3] == "06");
}
