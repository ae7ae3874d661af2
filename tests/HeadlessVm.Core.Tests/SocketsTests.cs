using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Tests;

/// <summary>The TCP peers of a process, read from /proc, as ConsoleServers uses them to end one bridge's connections.</summary>
public sealed class SocketsTests
{
    [Fact]
    public void A_connection_this_process_holds_shows_its_remote_end()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Assert.DoesNotContain(Sockets.RemoteEndPoints(Environment.ProcessId), e => e.Port == port);
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            using var accepted = listener.AcceptTcpClient();
            var peers = Sockets.RemoteEndPoints(Environment.ProcessId);
            Assert.Contains(new IPEndPoint(IPAddress.Loopback, port), peers);
            // The accepted end's peer is the client's ephemeral port.
            Assert.Contains(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)client.Client.LocalEndPoint!).Port), peers);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData("0100007F:17D4", "127.0.0.1", 6100)]
    [InlineData("0000000000000000FFFF00000100007F:1F90", "127.0.0.1", 8080)]
    [InlineData("00000000000000000000000001000000:0050", "::1", 80)]
    public void Proc_net_tcp_addresses_are_decoded_word_by_word(string hex, string address, int port)
    {
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), Sockets.Parse(hex));
    }

    [Fact]
    public void A_process_that_is_gone_has_no_connections()
    {
        Assert.Empty(Sockets.RemoteEndPoints(int.MaxValue));
    }
}
