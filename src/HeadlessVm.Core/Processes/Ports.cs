using System.Net;
using System.Net.Sockets;

namespace HeadlessVm.Core.Processes;

/// <summary>Checks whether a TCP port can be listened on, by trying; facts about listen addresses.</summary>
public static class Ports
{
    public static bool IsFree(string address, int port)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            ip = IPAddress.Loopback;
        }

        try
        {
            using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // Exclusive, so that a listener is always seen; a TIME_WAIT left by a closed console session
            // does not count (PortsTests), as it does not for qemu and websockify.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
            socket.Bind(new IPEndPoint(ip, port));
            socket.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static bool IsLoopback(string address) =>
        address.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
        (IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>True for 0.0.0.0 and ::, which listen on every address.</summary>
    public static bool IsWildcard(string? address) =>
        address is not null && IPAddress.TryParse(address, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any));

    /// <summary>Where to connect to a server that listens on <paramref name="listenAddress"/>, from its own host: a wildcard (or none) is that host's loopback.</summary>
    public static string Connectable(string? listenAddress) =>
        listenAddress is null || IsWildcard(listenAddress) ? (listenAddress is "::" ? "::1" : "127.0.0.1") : listenAddress;
}
