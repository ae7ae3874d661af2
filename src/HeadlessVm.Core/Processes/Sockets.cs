using System.Globalization;
using System.Net;

namespace HeadlessVm.Core.Processes;

/// <summary>What TCP connections a process holds, read from /proc (no lsof, no ss).</summary>
public static class Sockets
{
    /// <summary>The remote ends of the established TCP connections that <paramref name="pid"/> has open.</summary>
    public static IReadOnlyList<IPEndPoint> RemoteEndPoints(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var link = new FileInfo(fd).LinkTarget;
                if (link is not null && link.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(link[8..^1]);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<IPEndPoint>();
        }

        var result = new List<IPEndPoint>();
        foreach (var table in new[] { $"/proc/{pid}/net/tcp", $"/proc/{pid}/net/tcp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(table);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode"
            foreach (var line in lines.Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == "01" && inodes.Contains(f[9]) && Parse(f[2]) is { } remote)
                {
                    result.Add(remote);
                }
            }
        }

        return result;
    }

    /// <summary>An address:port as /proc/net/tcp writes it: hex, each 32-bit word in host (little-endian) order.</summary>
    internal static IPEndPoint? Parse(string hex)
    {
        var colon = hex.IndexOf(':');
        if (colon < 0 || !int.TryParse(hex.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
        {
            return null;
        }

        var address = hex[..colon];
        if (address.Length is not (8 or 32))
        {
            return null;
        }

        var bytes = new byte[address.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            for (var i = 0; i < 4; i++)
            {
                bytes[word * 4 + i] = byte.Parse(address.AsSpan(word * 8 + (3 - i) * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        var ip = new IPAddress(bytes);
        return new IPEndPoint(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip, port);
    }
}
