using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace HeadlessVm.Core.Processes;

/// <summary>
/// Which unix sockets are connected to a path, from the kernel's socket diagnostics (netlink NETLINK_SOCK_DIAG,
/// SOCK_DIAG_BY_FAMILY for AF_UNIX with UDIAG_SHOW_NAME and UDIAG_SHOW_PEER: linux/unix_diag.h, sock_diag(7)): what
/// <c>ss -x</c> shows, without running it. /proc/net/unix names sockets but not their peers. A server's accepted
/// sockets carry the path they were accepted on, so the peers of the sockets named PATH are its clients' sockets.
/// </summary>
public static partial class UnixSockets
{
    private const int AfNetlink = 16;
    private const int AfUnix = 1;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const ushort SockDiagByFamily = 20;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFDump = 0x300;
    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const uint UdiagShowName = 0x1;
    private const uint UdiagShowPeer = 0x4;
    private const ushort UnixDiagName = 0;
    private const ushort UnixDiagPeer = 2;
    private const int HeaderSize = 16;
    private const int MessageSize = 16;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint Receive(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>One unix socket: its inode (as /proc/PID/fd shows "socket:[INODE]"), its path if bound or accepted on one, its peer's inode.</summary>
    public readonly record struct UnixSocket(uint Inode, string? Path, uint? Peer);

    /// <summary>The inodes of the sockets connected to the server listening at <paramref name="path"/>; empty when none are, or the kernel does not tell.</summary>
    public static IReadOnlySet<uint> ClientsOf(string path) =>
        All().Where(s => s.Path == path && s.Peer is > 0).Select(s => s.Peer!.Value).ToHashSet();

    /// <summary>The inodes of the sockets that process <paramref name="pid"/> holds open (all kinds).</summary>
    public static IReadOnlySet<uint> InodesOf(int pid)
    {
        var inodes = new HashSet<uint>();
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                if (new FileInfo(fd).LinkTarget is { } link && link.StartsWith("socket:[", StringComparison.Ordinal)
                    && uint.TryParse(link.AsSpan(8, link.Length - 9), out var inode))
                {
                    inodes.Add(inode);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return inodes;
    }

    /// <summary>Every unix socket the kernel lists (this network namespace's); empty when sock_diag is not available.</summary>
    public static unsafe IReadOnlyList<UnixSocket> All()
    {
        var fd = Socket(AfNetlink, SockRaw | SockCloexec, NetlinkSockDiag);
        if (fd < 0)
        {
            return Array.Empty<UnixSocket>();
        }

        try
        {
            Span<byte> request = stackalloc byte[HeaderSize + 24];
            request.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily);
            BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest | NlmFDump);
            BinaryPrimitives.WriteUInt32LittleEndian(request[8..], 1);
            request[HeaderSize] = AfUnix;
            BinaryPrimitives.WriteUInt32LittleEndian(request[(HeaderSize + 4)..], uint.MaxValue);
            BinaryPrimitives.WriteUInt32LittleEndian(request[(HeaderSize + 12)..], UdiagShowName | UdiagShowPeer);
            fixed (byte* p = request)
            {
                if (Send(fd, p, request.Length, 0) != request.Length)
                {
                    return Array.Empty<UnixSocket>();
                }
            }

            return ReadDump(fd);
        }
        finally
        {
            Close(fd);
        }
    }

    private static unsafe List<UnixSocket> ReadDump(int fd)
    {
        var sockets = new List<UnixSocket>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            nint read;
            fixed (byte* p = buffer)
            {
                read = Receive(fd, p, buffer.Length, 0);
            }

            if (read <= 0)
            {
                return sockets;
            }

            for (var offset = 0; offset + HeaderSize <= read;)
            {
                var span = buffer.AsSpan(offset, (int)read - offset);
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
                var type = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
                if (type is NlmsgDone or NlmsgError || length < HeaderSize || length > span.Length)
                {
                    return sockets;
                }

                if (length >= HeaderSize + MessageSize)
                {
                    sockets.Add(Parse(span[HeaderSize..length]));
                }

                offset += (length + 3) & ~3;
            }
        }
    }

    /// <summary>unix_diag_msg (family, type, state, pad, ino, cookie[2]) and its attributes.</summary>
    private static UnixSocket Parse(ReadOnlySpan<byte> message)
    {
        var inode = BinaryPrimitives.ReadUInt32LittleEndian(message[4..]);
        string? path = null;
        uint? peer = null;
        for (var offset = MessageSize; offset + 4 <= message.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(message[offset..]);
            var type = BinaryPrimitives.ReadUInt16LittleEndian(message[(offset + 2)..]);
            if (length < 4 || offset + length > message.Length)
            {
                break;
            }

            var value = message[(offset + 4)..(offset + length)];
            if (type == UnixDiagName && value.Length > 0 && value[0] != 0)
            {
                path = Encoding.UTF8.GetString(value.TrimEnd((byte)0));
            }
            else if (type == UnixDiagPeer && value.Length >= 4)
            {
                peer = BinaryPrimitives.ReadUInt32LittleEndian(value);
            }

            offset += (length + 3) & ~3;
        }

        return new UnixSocket(inode, path, peer);
    }
}
