using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using HeadlessVm.Testing;

namespace HeadlessVm.Bench;

/// <summary>
/// The client half of RFB 3.8 (RFC 6143), just enough to time a VNC server: the handshake with VNC
/// authentication, ClientInit/ServerInit, SetEncodings, FramebufferUpdateRequest and reading the
/// server's messages. Works on any byte stream: a TCP connection or a WebSocket through websockify.
/// </summary>
public sealed class RfbClient : IDisposable
{
    public const int RawEncoding = 0;
    public const int DesktopSizeEncoding = -223;
    public const int LastRectEncoding = -224;
    public const int CursorEncoding = -239;
    public const int PointerTypeChangeEncoding = -257;
    /// <summary>QEMU extended key events: qemu acknowledges this encoding at once with a one-rectangle update.</summary>
    public const int QemuExtendedKeyEventEncoding = -258;
    public const int ExtendedDesktopSizeEncoding = -308;

    private readonly Stream _stream;
    private readonly BufferedStream _in;
    private readonly byte[] _scratch = new byte[1 << 16];

    private RfbClient(Stream stream)
    {
        _stream = stream;
        _in = new BufferedStream(stream, 1 << 16);
    }

    public int Width { get; private set; }
    public int Height { get; private set; }
    public int BytesPerPixel { get; private set; }
    public string DesktopName { get; private set; } = string.Empty;

    /// <summary>Every byte read from the server so far.</summary>
    public long BytesRead { get; private set; }

    public static RfbClient ConnectTcp(int port, string password)
    {
        var tcp = new TcpClient { NoDelay = true, ReceiveTimeout = 10000, SendTimeout = 10000 };
        try
        {
            tcp.Connect("127.0.0.1", port);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }

        return Open(new NetworkStream(tcp.Client, ownsSocket: true), password);
    }

    public static RfbClient ConnectWebSocket(Uri socket, string password) => Open(WebSocketProbe.OpenStream(socket), password);

    private static RfbClient Open(Stream stream, string password)
    {
        var client = new RfbClient(stream);
        try
        {
            client.Handshake(password);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private void Handshake(string password)
    {
        var version = Encoding.ASCII.GetString(Read(12));
        if (!version.StartsWith(WebSocketProbe.Greeting, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Not a VNC server: '{version.Trim()}'.");
        }

        Write("RFB 003.008\n"u8);
        var count = Read(1)[0];
        if (count == 0)
        {
            throw new InvalidDataException("The VNC server refused the connection: " + ReadString());
        }

        var types = Read(count);
        if (types.Contains((byte)2))
        {
            Write([2]);
            var challenge = Read(16);
            Write(VncDes.Response(password, challenge));
        }
        else if (types.Contains((byte)1))
        {
            Write([1]);
        }
        else
        {
            throw new InvalidDataException($"No security type this client speaks among [{string.Join(", ", types)}].");
        }

        if (ReadUInt32() != 0)
        {
            throw new InvalidDataException("VNC authentication failed: " + ReadString());
        }

        Write([1]); // ClientInit: shared, so other viewers stay connected.
        var init = Read(24);
        Width = BinaryPrimitives.ReadUInt16BigEndian(init);
        Height = BinaryPrimitives.ReadUInt16BigEndian(init.AsSpan(2));
        BytesPerPixel = init[4] / 8;
        DesktopName = Encoding.UTF8.GetString(Read((int)BinaryPrimitives.ReadUInt32BigEndian(init.AsSpan(20))));
        SetEncodings(RawEncoding);
    }

    public void SetEncodings(params int[] encodings)
    {
        var message = new byte[4 + 4 * encodings.Length];
        message[0] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)encodings.Length);
        for (var i = 0; i < encodings.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4 + 4 * i), encodings[i]);
        }

        Write(message);
    }

    public void RequestUpdate(bool incremental, int x, int y, int width, int height)
    {
        Span<byte> message = stackalloc byte[10];
        message[0] = 3;
        message[1] = incremental ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)x);
        BinaryPrimitives.WriteUInt16BigEndian(message[4..], (ushort)y);
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], (ushort)width);
        BinaryPrimitives.WriteUInt16BigEndian(message[8..], (ushort)height);
        Write(message);
    }

    /// <summary>
    /// Reads server messages until a whole FramebufferUpdate has arrived (bells, clipboard text and colour
    /// maps in between are read and dropped). Returns the encodings of its rectangles.
    /// </summary>
    public IReadOnlyList<int> ReadUpdate()
    {
        while (true)
        {
            var type = Read(1)[0];
            switch (type)
            {
                case 0:
                    return ReadRectangles();
                case 1:
                    var colours = Read(5);
                    Skip(6 * BinaryPrimitives.ReadUInt16BigEndian(colours.AsSpan(3)));
                    break;
                case 2:
                    break;
                case 3:
                    Skip(3);
                    Skip((int)ReadUInt32());
                    break;
                default:
                    throw new InvalidDataException($"Unexpected server message type {type}.");
            }
        }
    }

    private List<int> ReadRectangles()
    {
        var header = Read(3);
        var count = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1));
        var encodings = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            var rect = Read(12);
            var w = BinaryPrimitives.ReadUInt16BigEndian(rect.AsSpan(4));
            var h = BinaryPrimitives.ReadUInt16BigEndian(rect.AsSpan(6));
            var encoding = BinaryPrimitives.ReadInt32BigEndian(rect.AsSpan(8));
            encodings.Add(encoding);
            switch (encoding)
            {
                case RawEncoding:
                    Skip(w * h * BytesPerPixel);
                    break;
                case DesktopSizeEncoding:
                    (Width, Height) = (w, h);
                    break;
                case PointerTypeChangeEncoding or QemuExtendedKeyEventEncoding:
                    break;
                case CursorEncoding:
                    Skip(w * h * BytesPerPixel + (w + 7) / 8 * h);
                    break;
                case ExtendedDesktopSizeEncoding:
                    Skip(3 + 16 * Read(1)[0]);
                    (Width, Height) = (w, h);
                    break;
                case LastRectEncoding:
                    return encodings;
                default:
                    throw new InvalidDataException($"Unexpected rectangle encoding {encoding}.");
            }
        }

        return encodings;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        _stream.Flush();
    }

    private byte[] Read(int count)
    {
        var buffer = new byte[count];
        _in.ReadExactly(buffer);
        BytesRead += count;
        return buffer;
    }

    private void Skip(int count)
    {
        while (count > 0)
        {
            var n = Math.Min(count, _scratch.Length);
            _in.ReadExactly(_scratch, 0, n);
            BytesRead += n;
            count -= n;
        }
    }

    private uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Read(4));

    private string ReadString() => Encoding.UTF8.GetString(Read((int)ReadUInt32()));

    public void Dispose()
    {
        _in.Dispose();
        _stream.Dispose();
    }
}
