using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HeadlessVm.Core.Tunnels;

/// <summary>
/// The first thing a VNC server says: its ProtocolVersion, 12 bytes such as "RFB 003.008\n" (RFC 6143, 7.1.1). Reading it
/// proves a path to the server works end to end (a tunnel's socket accepts at once even when nothing answers behind it).
/// </summary>
public static class RfbGreeting
{
    /// <summary>
    /// Connects to <paramref name="endPoint"/> and reads the greeting, waiting at most <paramref name="timeout"/>; the
    /// greeting without its newline, or null when the connection fails, closes or says something else.
    /// </summary>
    public static string? Read(EndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancel.CancelAfter(timeout);
        var protocol = endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp;
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, protocol);
        try
        {
            socket.ConnectAsync(endPoint, cancel.Token).AsTask().GetAwaiter().GetResult();
            var buffer = new byte[12];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancel.Token).AsTask().GetAwaiter().GetResult();
                if (n == 0)
                {
                    return null;
                }

                read += n;
            }

            var text = Encoding.ASCII.GetString(buffer);
            return text.StartsWith("RFB ", StringComparison.Ordinal) ? text.TrimEnd('\n') : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
