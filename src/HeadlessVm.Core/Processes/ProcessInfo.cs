using System.Globalization;
using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Processes;

/// <summary>Facts about a process read from /proc, and signals sent by PID.</summary>
public static partial class ProcessInfo
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    public static bool IsAlive(int pid)
    {
        if (pid <= 0 || !Directory.Exists($"/proc/{pid}"))
        {
            return false;
        }

        var stat = ReadStat(pid);
        if (stat is null)
        {
            return false;
        }

        if (stat.Value.State is not ('Z' or 'X'))
        {
            return true;
        }

        // A zombie has exited and only waits for its parent to collect it, unless it is the first thread
        // of a process whose other threads are still exiting: those still hold its files and ports.
        return OtherThreadsRemain(pid);
    }

    private static bool OtherThreadsRemain(int pid)
    {
        try
        {
            var self = pid.ToString(CultureInfo.InvariantCulture);
            return Directory.EnumerateDirectories($"/proc/{pid}/task").Any(t => Path.GetFileName(t) != self);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The argv of a live process, or null when it is gone.</summary>
    public static IReadOnlyList<string>? CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{pid}/cmdline");
            return raw.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>How long the process has run, from its start time in /proc.</summary>
    public static TimeSpan? Uptime(int pid)
    {
        var stat = ReadStat(pid);
        if (stat is null)
        {
            return null;
        }

        try
        {
            var uptimeSeconds = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
            // USER_HZ is 100 on every Linux architecture qemu hosts run on.
            var startSeconds = stat.Value.StartTicks / 100.0;
            var seconds = Math.Max(0, uptimeSeconds - startSeconds);
            return TimeSpan.FromSeconds(Math.Floor(seconds));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The parent's PID, or 0 when the process is gone.</summary>
    public static int ParentId(int pid) => ReadStat(pid)?.ParentId ?? 0;

    /// <summary>The live processes whose parent is <paramref name="pid"/>.</summary>
    public static IReadOnlyList<int> Children(int pid) =>
        AllIds().Where(child => ReadStat(child) is { State: not ('Z' or 'X') } stat && stat.ParentId == pid).ToArray();

    /// <summary>The PIDs /proc lists now (some may be gone, or zombies, by the time they are read).</summary>
    public static IEnumerable<int> AllIds()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    public static bool Signal(int pid, int signal) => pid > 0 && SysKill(pid, signal) == 0;

    /// <summary>Waits until the process is gone; false when it is still alive at the deadline.</summary>
    public static bool WaitForExit(int pid, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var pause = new Backoff();
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            pause.Wait(cancellationToken);
        }

        return true;
    }

    private static (char State, int ParentId, long StartTicks)? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may contain spaces; fields follow the last ')'.
            var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (rest[0][0], int.Parse(rest[1], CultureInfo.InvariantCulture), long.Parse(rest[19], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
