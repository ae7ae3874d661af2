using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace HeadlessVm.Bench;

/// <summary>
/// A VNC server in this process that answers every FramebufferUpdateRequest at once with raw pixels.
/// qemu holds update replies until its display refresh timer fires (up to 3 s on a still screen), so
/// through qemu a round trip or a frame rate measures that timer; through this server they measure the
/// path (TCP, websockify, the module's bridge). RFB 3.8, security type None, 32 bpp, one screen size.
/// </summary>
public sealed class PromptVncServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly byte[] _pixels;
    private readonly List<Socket> _clients = new();
    private readonly Thread _acceptor;
    private volatile bool _stopping;

    public PromptVncServer(int width, int height)
    {
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 4];
        Random.Shared.NextBytes(_pixels);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptor = new Thread(Accept) { IsBackground = true, Name = "PromptVncServer" };
        _acceptor.Start();
    }

    public int Width { get; }
    public int Height { get; }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private void Accept()
    {
        while (!_stopping)
        {
            Socket socket;
            try
            {
                socket = _listener.AcceptSocket();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            socket.NoDelay = true;
            lock (_clients)
            {
                _clients.Add(socket);
            }

            new Thread(() => Serve(socket)) { IsBackground = true, Name = "PromptVncServer client" }.Start();
        }
    }

    private void Serve(Socket socket)
    {
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            var input = new BufferedStream(stream, 1 << 12);
            stream.Write("RFB 003.008\n"u8);
            input.ReadExactly(new byte[12]);
            stream.Write([1, 1]); // one security type: None
            input.ReadExactly(new byte[1]);
            stream.Write([0, 0, 0, 0]); // SecurityResult: OK
            input.ReadExactly(new byte[1]); // ClientInit
            stream.Write(ServerInit());
            var header = new byte[16];
            while (!_stopping)
            {
                var type = input.ReadByte();
                switch (type)
                {
                    case -1:
                        return;
                    case 0: // SetPixelFormat: this server keeps its own
                        input.ReadExactly(header, 0, 19);
                        break;
                    case 2:
                        input.ReadExactly(header, 0, 3);
                        var count = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1));
                        var encodings = new byte[4 * count];
                        input.ReadExactly(encodings);
                        for (var i = 0; i < count; i++)
                        {
                            // Acknowledged at once, as qemu does.
                            if (BinaryPrimitives.ReadInt32BigEndian(encodings.AsSpan(4 * i)) == RfbClient.QemuExtendedKeyEventEncoding)
                            {
                                SendRectangle(stream, 0, 0, Width, Height, RfbClient.QemuExtendedKeyEventEncoding, withPixels: false);
                            }
                        }

                        break;
                    case 3:
                        input.ReadExactly(header, 0, 9);
                        var x = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1));
                        var y = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3));
                        var w = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(5)), Width - x);
                        var h = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(7)), Height - y);
                        SendRectangle(stream, x, y, w, h, RfbClient.RawEncoding, withPixels: true);
                        break;
                    case 4:
                        input.ReadExactly(header, 0, 7);
                        break;
                    case 5:
                        input.ReadExactly(header, 0, 5);
                        break;
                    case 6:
                        input.ReadExactly(header, 0, 7);
                        input.ReadExactly(new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(3))]);
                        break;
                    default:
                        return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
        }
    }

    private byte[] ServerInit()
    {
        var name = "bench"u8;
        var init = new byte[24 + name.Length];
        BinaryPrimitives.WriteUInt16BigEndian(init, (ushort)Width);
        BinaryPrimitives.WriteUInt16BigEndian(init.AsSpan(2), (ushort)Height);
        // 32 bpp, depth 24, little endian, true colour, max 255 each, shifts 16/8/0.
        new byte[] { 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0 }.CopyTo(init, 4);
        BinaryPrimitives.WriteUInt32BigEndian(init.AsSpan(20), (uint)name.Length);
        name.CopyTo(init.AsSpan(24));
        return init;
    }

    private void SendRectangle(Stream stream, int x, int y, int w, int h, int encoding, bool withPixels)
    {
        var header = new byte[16];
        header[0] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)x);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)y);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), (ushort)w);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)h);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), encoding);
        var length = withPixels ? w * h * 4 : 0;
        if (length <= 4096)
        {
            // Small replies go out in one segment, as a real server's would.
            var message = new byte[16 + length];
            header.CopyTo(message, 0);
            _pixels.AsSpan(0, length).CopyTo(message.AsSpan(16));
            stream.Write(message);
            return;
        }

        stream.Write(header);
        stream.Write(_pixels, 0, length);
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Stop();
        lock (_clients)
        {
            foreach (var c in _clients)
            {
                c.Dispose();
            }
        }

        _acceptor.Join(TimeSpan.FromSeconds(2));
    }
}
