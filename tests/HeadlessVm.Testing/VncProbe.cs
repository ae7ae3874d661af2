using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace HeadlessVm.Testing;

/// <summary>
/// The client side of an RFB 3.8 handshake (RFC 6143, 7.1 and 7.2), just far enough to learn whether a
/// VNC server accepts a password: ProtocolVersion, the security types it offers, VNC authentication
/// (7.2.2) answered with <see cref="VncDes"/>, and the SecurityResult (7.1.3) with its reason.
/// </summary>
public static class VncProbe
{
    /// <summary>RFC 6143, 7.1.3: SecurityResult 0 is OK, 1 is failed.</summary>
    public const uint Ok = 0;

    public const uint Failed = 1;

    /// <summary>What the server said: its version line, the security types it offered, and for VNC authentication its SecurityResult and failure reason.</summary>
    public sealed record Outcome(string Version, byte[] SecurityTypes, uint? Result, string? Reason)
    {
        public bool Accepted => Result == Ok;

        public override string ToString() =>
            $"{Version.Trim()}, security types [{string.Join(", ", SecurityTypes)}], result {Result?.ToString() ?? "none"}{(Reason is null ? string.Empty : ": " + Reason)}";
    }

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> (an IPv4 or IPv6 literal), asks for VNC
    /// authentication and answers the challenge with <paramref name="password"/>, or with 16 zero bytes when
    /// it is null. Every read and write is bounded by <paramref name="timeout"/> (10 s by default). When the
    /// server offers no VNC authentication, <see cref="Outcome.Result"/> is null.
    /// </summary>
    public static Outcome Authenticate(string host, int port, string? password, TimeSpan? timeout = null)
    {
        var limit = (int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        using var tcp = new TcpClient(host.Contains(':') ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork)
        {
            ReceiveTimeout = limit,
            SendTimeout = limit,
        };
        if (!tcp.ConnectAsync(host, port).Wait(limit))
        {
            throw new TimeoutException($"No connection to {host}:{port} within {limit} ms.");
        }

        var stream = tcp.GetStream();
        var version = Encoding.ASCII.GetString(Read(stream, 12));
        if (!version.StartsWith("RFB ", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{host}:{port} is not a VNC server: '{version.Trim()}'.");
        }

        stream.Write("RFB 003.008\n"u8);
        var count = Read(stream, 1)[0];
        if (count == 0)
        {
            return new Outcome(version, [], null, ReadString(stream));
        }

        var types = Read(stream, count);
        if (!types.Contains((byte)2))
        {
            return new Outcome(version, types, null, null);
        }

        stream.WriteByte(2);
        var challenge = Read(stream, 16);
        stream.Write(password is null ? new byte[16] : VncDes.Response(password, challenge));
        var result = BinaryPrimitives.ReadUInt32BigEndian(Read(stream, 4));
        return new Outcome(version, types, result, result == Ok ? null : ReadString(stream));
    }

    private static string ReadString(Stream stream) =>
        Encoding.UTF8.GetString(Read(stream, (int)BinaryPrimitives.ReadUInt32BigEndian(Read(stream, 4))));

    private static byte[] Read(Stream stream, int count)
    {
        var buffer = new byte[count];
        stream.ReadExactly(buffer);
        return buffer;
    }
}
