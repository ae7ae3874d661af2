using System.Diagnostics;

namespace HeadlessVm.Testing;

/// <summary>
/// The end-of-test sweep: every live process whose command line names a test's own folder (its state
/// store: qemu's pidfile and QMP socket, websockify's log, a fake program's marker), found by reading
/// /proc rather than the pidfiles the module deletes. What the module did not stop is a leak: the sweep
/// kills it, by PID, and reports it so that the test fails.
/// </summary>
public static class LeftoverProcesses
{
    /// <summary>A process found by the sweep: its PID and its command line, arguments joined by spaces.</summary>
    public sealed record Leftover(int Pid, string CommandLine)
    {
        public override string ToString() => $"PID {Pid}: {CommandLine}";
    }

    /// <summary>
    /// Live processes (not zombies, not this one) with an argument that is <paramref name="folder"/> or
    /// names something under it.
    /// </summary>
    public static IReadOnlyList<Leftover> Find(string folder)
    {
        var found = new List<Leftover>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var pid) && pid != Environment.ProcessId
                && Mentioning(pid, folder) is { } argv && IsAlive(pid))
            {
                found.Add(new Leftover(pid, string.Join(' ', argv)));
            }
        }

        return found;
    }

    /// <summary>
    /// Waits up to <paramref name="grace"/> for the processes naming <paramref name="folder"/> to exit (one
    /// that was just told to stop may still be on its way out), then kills each one left with SIGKILL,
    /// by PID and only while its command line still names the folder, and waits (at most 10 s) for it to
    /// go. Returns what was left after the grace period: empty when nothing leaked.
    /// </summary>
    public static IReadOnlyList<Leftover> Sweep(string folder, TimeSpan? grace = null)
    {
        var deadline = DateTime.UtcNow + (grace ?? TimeSpan.FromSeconds(3));
        var left = Find(folder);
        while (left.Count > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
            left = Find(folder);
        }

        foreach (var process in left)
        {
            Kill(process.Pid, folder);
        }

        return left;
    }

    /// <summary>A failure message naming the leftovers, or null when there are none.</summary>
    public static string? Describe(IReadOnlyList<Leftover> leftovers, string what) =>
        leftovers.Count == 0
            ? null
            : $"{what} left {leftovers.Count} process(es) running, killed now by the sweep:\n  " + string.Join("\n  ", leftovers);

    /// <summary>SIGKILL to <paramref name="pid"/> if it still names <paramref name="folder"/>; waits at most 10 s for it to exit.</summary>
    public static void Kill(int pid, string folder)
    {
        if (Mentioning(pid, folder) is null)
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already.
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (IsAlive(pid) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }
    }

    /// <summary>True while the process exists and is not a zombie (a zombie has exited; only its parent has not reaped it).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string[]? Mentioning(int pid, string folder)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var argv = text.TrimEnd('\0').Split('\0');
        var under = folder.TrimEnd('/') + "/";
        return argv.Any(a => a == folder || a.Contains(under, StringComparison.Ordinal)) ? argv : null;
    }
}
