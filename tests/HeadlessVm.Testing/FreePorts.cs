using System.Net;
using System.Net.Sockets;

namespace HeadlessVm.Testing;

/// <summary>
/// Ports and addresses for tests that must not collide with other programs on this machine, nor with
/// each other: other test runs start qemu and websockify here at the same time.
/// </summary>
public static class FreePorts
{
    /// <summary>
    /// A TCP port nobody listens on now on <paramref name="address"/>, as the kernel picks one for a bind to
    /// port 0 (from net.ipv4.ip_local_port_range, at random), so that two tests asking at once get different ones.
    /// </summary>
    public static int Next(string address = "127.0.0.1")
    {
        using var socket = new Socket(IPAddress.Parse(address).AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// A random address of 127.0.0.0/8 other than 127.0.0.1 (Linux answers the whole block on lo). Other
    /// programs here (other test runs' qemu and websockify included) listen on 127.0.0.1; only a listener on
    /// every address (0.0.0.0) would share this one's ports. So a test that holds ports there, or needs the
    /// first free VNC display to be :1, is not disturbed by them.
    /// </summary>
    public static string PrivateLoopbackAddress() =>
        $"127.{Random.Shared.Next(2, 255)}.{Random.Shared.Next(0, 256)}.{Random.Shared.Next(1, 255)}";
}
