using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace HeadlessVm.Bench;

/// <summary>What a program printed and how it ended; the output is only what arrived before it exited.</summary>
public sealed record ProgramResult(int ExitCode, TimeSpan Elapsed, string StandardOutput, string StandardError);

/// <summary>A process seen alive once: its PID and start time, so that a reused PID is never signalled.</summary>
public readonly record struct ProcessIdentity(int Pid, long StartTicks);

/// <summary>Starting programs, finding processes in /proc, signalling them by PID, free ports.</summary>
public static class ProcessTools
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>
    /// Runs a program to its exit, as a shell would for a command typed by hand. Daemons (qemu -daemonize,
    /// websockify -D) exit once their child is ready; the output is read without waiting for the daemon
    /// to close pipes it may have inherited.
    /// </summary>
    private static readonly ConcurrentDictionary<Process, byte> InFlight = new();
    private static volatile bool _stopping;

    /// <summary>
    /// From now on no program starts, and returns when the ones running have exited (a daemon's
    /// foreground half exits once its child is up, so the child can then be found and stopped).
    /// </summary>
    public static void StopStarting(TimeSpan wait)
    {
        _stopping = true;
        foreach (var process in InFlight.Keys.ToArray())
        {
            process.WaitForExit(wait);
        }
    }

    public static ProgramResult Run(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        if (_stopping)
        {
            throw new OperationCanceledException($"Not starting {program}: the bench is stopping.");
        }

        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        InFlight[process] = 0;
        try
        {
            return Finish(process, program, timeout, watch);
        }
        finally
        {
            InFlight.TryRemove(process, out _);
        }
    }

    private static ProgramResult Finish(Process process, string program, TimeSpan timeout, Stopwatch watch)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        if (!process.WaitForExit((int)timeout.TotalMilliseconds))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not exit within {timeout.TotalSeconds:0} s.");
        }

        var elapsed = watch.Elapsed;
        return new ProgramResult(process.ExitCode, elapsed, Collect(stdout), Collect(stderr));
    }

    /// <summary>Runs a program that must succeed and returns its standard output.</summary>
    public static string Output(string program, params string[] arguments)
    {
        var r = Run(program, arguments, TimeSpan.FromSeconds(20));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({r.ExitCode}): {r.StandardError.Trim()}");
        }

        return r.StandardOutput;
    }

    private static string Collect(Task<string> read) => read.Wait(TimeSpan.FromMilliseconds(500)) ? read.Result : string.Empty;

    public static bool IsAlive(int pid)
    {
        var stat = Stat(pid);
        return stat is not null && stat.Value.State is not ('Z' or 'X');
    }

    public static ProcessIdentity? Identify(int pid) =>
        Stat(pid) is { State: not ('Z' or 'X') } s ? new ProcessIdentity(pid, s.StartTicks) : null;

    /// <summary>True while that very process (same PID, same start time) is alive.</summary>
    public static bool IsAlive(ProcessIdentity who) =>
        Stat(who.Pid) is { State: not ('Z' or 'X') } s && s.StartTicks == who.StartTicks;

    public static IReadOnlyList<string>? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static int? ParentOf(int pid) => Stat(pid)?.Parent;

    /// <summary>Every live process but this one whose command line contains <paramref name="marker"/>.</summary>
    public static IReadOnlyList<int> Mentioning(string marker)
    {
        var self = Environment.ProcessId;
        return AllPids()
            .Where(pid => pid != self && IsAlive(pid) && CommandLine(pid) is { } argv && argv.Any(a => a.Contains(marker, StringComparison.Ordinal)))
            .ToArray();
    }

    /// <summary>The process and everything it forked, transitively.</summary>
    public static IReadOnlyList<int> WithDescendants(int root)
    {
        var parents = AllPids().Select(p => (Pid: p, Parent: ParentOf(p))).Where(p => p.Parent is not null).ToArray();
        var found = new List<int> { root };
        for (var i = 0; i < found.Count; i++)
        {
            found.AddRange(parents.Where(p => p.Parent == found[i]).Select(p => p.Pid));
        }

        return found.Where(IsAlive).Distinct().ToArray();
    }

    /// <summary>The names (qemu-system-x86_64, websockify) of live processes whose program or script starts with one of <paramref name="prefixes"/>.</summary>
    public static IReadOnlyList<string> Running(params string[] prefixes) => AllPids()
        .Where(IsAlive)
        .Select(pid => CommandLine(pid) is { Count: > 0 } argv ? argv.Take(3).Select(Path.GetFileName).FirstOrDefault(n => n is not null && prefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal))) : null)
        .OfType<string>()
        .ToArray();

    /// <summary>Waits until the process uses less than one clock tick (10 ms) of CPU in 50 ms, or is gone, or the timeout passes.</summary>
    public static void WaitUntilIdle(int? pid, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (pid is not null && watch.Elapsed < timeout && CpuTicks(pid.Value) is { } before)
        {
            Thread.Sleep(50);
            if (CpuTicks(pid.Value) is not { } after || after - before < 1)
            {
                return;
            }
        }
    }

    /// <summary>User + system CPU time in clock ticks (1/100 s).</summary>
    private static long? CpuTicks(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static bool IsQemu(int pid) => CommandLine(pid) is [var program, ..] && Path.GetFileName(program).StartsWith("qemu-system-", StringComparison.Ordinal);

    /// <summary>A /proc/PID/status field in kB (VmRSS), or 0 when the process is gone.</summary>
    public static long StatusKb(int pid, string field) => ReadKb($"/proc/{pid}/status", field);

    /// <summary>Proportional set size: shared pages (a forked websockify's) counted once across the sharers.</summary>
    public static long PssKb(int pid) => ReadKb($"/proc/{pid}/smaps_rollup", "Pss");

    /// <summary>A "Field:   123 kB" line of a /proc file, in kB; 0 when absent.</summary>
    public static long ReadKb(string file, string field)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return 0;
    }

    /// <summary>SIGTERM, then SIGKILL after a grace period; waits until the process is gone.</summary>
    public static void Stop(ProcessIdentity who, TimeSpan grace)
    {
        if (!IsAlive(who))
        {
            return;
        }

        SysKill(who.Pid, SIGTERM);
        if (!WaitForExit(who, grace))
        {
            SysKill(who.Pid, SIGKILL);
            WaitForExit(who, TimeSpan.FromSeconds(5));
        }
    }

    public static bool WaitForExit(ProcessIdentity who, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (IsAlive(who))
        {
            if (deadline.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }

    /// <summary>Stops every process whose command line names <paramref name="marker"/> (a temp folder of this run); returns how many.</summary>
    public static int StopMentioning(string marker)
    {
        var found = Mentioning(marker).Select(Identify).OfType<ProcessIdentity>().ToArray();
        foreach (var who in found)
        {
            Stop(who, TimeSpan.FromSeconds(2));
        }

        return found.Length;
    }

    public static int? ReadPidFile(string path) =>
        File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>True when nothing listens on 127.0.0.1:port (an exclusive bind succeeds).</summary>
    public static bool IsPortFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FirstFreePort(int from, int span = 100)
    {
        for (var port = from; port < from + span; port++)
        {
            if (IsPortFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free port on 127.0.0.1 between {from} and {from + span - 1}.");
    }

    /// <summary>The first VNC display from <paramref name="from"/> whose port (5900+N) is free.</summary>
    public static int FirstFreeDisplay(int from) => FirstFreePort(5900 + from, 40) - 5900;

    private static IEnumerable<int> AllPids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    private static (char State, int Parent, long StartTicks)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may contain spaces; the fields after it are fixed.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
