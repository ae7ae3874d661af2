using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace HeadlessVm.Core.Tunnels;

/// <summary>
/// Asks a running OpenSSH ControlMaster, through its control socket, to open or close a local forward: what
/// <c>ssh -S CTL -O forward|cancel -L ...</c> does, without starting an ssh process for it (a process costs tens of
/// milliseconds, the request under one). The protocol is OpenSSH's multiplexing protocol, version 4 (PROTOCOL.mux;
/// mux.c, mux_client_hello_exchange and mux_client_forward): each message is a uint32 length and a body of SSH wire
/// types (uint32 big-endian, string = uint32 length + bytes). Anything unexpected is a <see cref="SshMuxException"/>,
/// after which the caller asks the ssh program instead.
/// </summary>
internal static class SshMux
{
    internal const uint Hello = 0x00000001;
    internal const uint Version = 4;
    internal const uint OpenForward = 0x10000006;
    internal const uint CloseForward = 0x10000007;
    internal const uint Ok = 0x80000001;
    internal const uint PermissionDenied = 0x80000002;
    internal const uint Failure = 0x80000003;
    internal const uint LocalForward = 1;

    /// <summary>The listen port of a forward whose local end is a unix socket (OpenSSH misc.h, PORT_STREAMLOCAL = -2).</summary>
    internal const uint StreamLocalPort = unchecked((uint)-2);

    private const uint RequestId = 1;
    private const int MaxMessage = 256 * 1024;

    /// <summary>
    /// Opens (or, with <paramref name="cancel"/>, closes) <paramref name="forward"/> on the master listening on
    /// <paramref name="controlSocket"/>. Returns null when the master did it, else its own words for why not
    /// (MUX_S_FAILURE, MUX_S_PERMISSION_DENIED). Waits at most <paramref name="timeout"/>.
    /// </summary>
    public static string? Forward(string controlSocket, ForwardRecord forward, bool cancel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.ConnectAsync(new UnixDomainSocketEndPoint(controlSocket), deadline.Token).AsTask().GetAwaiter().GetResult();
            Send(socket, Message(Hello, Version), deadline.Token);
            var hello = Receive(socket, deadline.Token);
            if (ReadUInt32(hello, 0) != Hello || ReadUInt32(hello, 4) != Version)
            {
                throw new SshMuxException($"the master greeted with message 0x{ReadUInt32(hello, 0):x8}, version {ReadUInt32(hello, 4)}; version {Version} was expected");
            }

            Send(socket, Request(forward, cancel), deadline.Token);
            var reply = Receive(socket, deadline.Token);
            var type = ReadUInt32(reply, 0);
            if (ReadUInt32(reply, 4) != RequestId)
            {
                throw new SshMuxException($"the master answered request {ReadUInt32(reply, 4)}, not {RequestId}");
            }

            return type switch
            {
                Ok => null,
                Failure or PermissionDenied => ReadString(reply, 8),
                _ => throw new SshMuxException($"the master answered with message 0x{type:x8}"),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SshMuxException($"the master did not answer within {timeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentOutOfRangeException)
        {
            throw new SshMuxException(e.Message, e);
        }
    }

    /// <summary>The body of MUX_C_OPEN_FWD or MUX_C_CLOSE_FWD for a local forward from a unix socket (mux.c, mux_client_forward).</summary>
    internal static byte[] Request(ForwardRecord forward, bool cancel)
    {
        var body = new List<byte>();
        Put(body, cancel ? CloseForward : OpenForward);
        Put(body, RequestId);
        Put(body, LocalForward);
        Put(body, forward.Socket);
        Put(body, StreamLocalPort);
        Put(body, forward.Address);
        Put(body, (uint)forward.Port);
        return body.ToArray();
    }

    private static byte[] Message(params uint[] values)
    {
        var body = new List<byte>();
        foreach (var value in values)
        {
            Put(body, value);
        }

        return body.ToArray();
    }

    private static void Put(List<byte> body, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        body.AddRange(bytes.ToArray());
    }

    private static void Put(List<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Put(body, (uint)bytes.Length);
        body.AddRange(bytes);
    }

    private static void Send(Socket socket, byte[] body, CancellationToken cancellationToken)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.Length);
        body.CopyTo(frame, 4);
        socket.SendAsync(frame, SocketFlags.None, cancellationToken).AsTask().GetAwaiter().GetResult();
    }

    private static byte[] Receive(Socket socket, CancellationToken cancellationToken)
    {
        var length = ReadUInt32(ReceiveExactly(socket, 4, cancellationToken), 0);
        return length is < 8 or > MaxMessage
            ? throw new SshMuxException($"the master sent a message of {length} bytes")
            : ReceiveExactly(socket, (int)length, cancellationToken);
    }

    private static byte[] ReceiveExactly(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken).AsTask().GetAwaiter().GetResult();
            if (n == 0)
            {
                throw new SshMuxException("the master closed the control connection");
            }

            read += n;
        }

        return buffer;
    }

    private static uint ReadUInt32(byte[] message, int offset) => BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(offset, 4));

    private static string ReadString(byte[] message, int offset)
    {
        var length = (int)Math.Min(ReadUInt32(message, offset), (uint)(message.Length - offset - 4));
        return Encoding.UTF8.GetString(message, offset + 4, length);
    }
}

/// <summary>The control socket did not speak the multiplexing protocol as expected (or could not be reached).</summary>
internal sealed class SshMuxException : Exception
{
    public SshMuxException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
