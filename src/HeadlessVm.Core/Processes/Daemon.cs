using System.Globalization;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Processes;

/// <summary>
/// A long-lived process the module started detached (qemu -daemonize, websockify --daemon), found
/// again from any later process through its pidfile. The pidfile alone is never trusted, since PIDs
/// are reused: the process must be alive and its command line must be this daemon's own, which names
/// a path in the state store that no other process has.
/// </summary>
public sealed class Daemon
{
    private readonly Func<IReadOnlyList<string>, bool> _isOwnCommandLine;

    /// <param name="pidFile">Where the PID is kept (written by the daemon itself or by <see cref="RecordPid"/>).</param>
    /// <param name="isOwnCommandLine">True for this daemon's argv (as /proc/PID/cmdline splits it).</param>
    public Daemon(string pidFile, Func<IReadOnlyList<string>, bool> isOwnCommandLine)
    {
        PidFile = pidFile;
        _isOwnCommandLine = isOwnCommandLine;
    }

    public string PidFile { get; }

    /// <summary>
    /// The daemon's PID; null when the pidfile is missing or names a process that is gone or another
    /// program. A damaged pidfile (a crash mid-write, a full disk) does not hide a live daemon: its
    /// command line is looked for in /proc instead.
    /// </summary>
    public int? Find()
    {
        var read = RecordFiles.ReadText(PidFile, text =>
            int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? RecordRead<string>.Found(text.Trim())
                : RecordRead<string>.Broken("it holds no PID"));
        if (read.Value is { } value)
        {
            var pid = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
            return IsOwn(pid) ? pid : null;
        }

        return read.Damaged ? FindListener() : null;
    }

    /// <summary>The daemon found by its command line alone: of the processes that carry it, the one whose parent does not (forked handlers share its argv).</summary>
    public int? FindListener()
    {
        var all = FindAll();
        var roots = all.Where(p => !all.Contains(ProcessInfo.ParentId(p))).ToArray();
        return roots.Length == 0 ? null : roots.Min();
    }

    /// <summary>True when <paramref name="pid"/> is alive and runs this daemon's command line.</summary>
    public bool IsOwn(int pid) => ProcessInfo.IsAlive(pid) && ProcessInfo.CommandLine(pid) is { } argv && _isOwnCommandLine(argv);

    /// <summary>
    /// Every live process with this daemon's command line, whatever the pidfile says: a daemon that
    /// writes no pidfile is found this way, and so are the children it forked (they share its argv).
    /// </summary>
    public IReadOnlyList<int> FindAll() => ProcessInfo.AllIds().Where(IsOwn).ToArray();

    /// <summary>Writes the pidfile, for a daemon that writes none itself.</summary>
    public void RecordPid(int pid) => PrivateFiles.WriteRuntimeText(PidFile, pid.ToString(CultureInfo.InvariantCulture));

    public void ForgetPid() => PrivateFiles.TryDelete(PidFile);

    /// <summary>
    /// SIGTERM, up to <paramref name="grace"/> for the process to exit, then SIGKILL and as long again.
    /// <paramref name="signalling"/> hears each signal just before it is sent. Cancelling stops the
    /// waiting (OperationCanceledException), not the process. True when it is gone.
    /// </summary>
    public static bool Stop(int pid, TimeSpan grace, CancellationToken cancellationToken = default, Action<int>? signalling = null)
    {
        signalling?.Invoke(ProcessInfo.SIGTERM);
        ProcessInfo.Signal(pid, ProcessInfo.SIGTERM);
        if (ProcessInfo.WaitForExit(pid, grace, cancellationToken))
        {
            return true;
        }

        signalling?.Invoke(ProcessInfo.SIGKILL);
        return Kill(pid, grace, cancellationToken);
    }

    /// <summary>SIGKILL, then up to <paramref name="grace"/> for the process (and all its threads) to be gone. True when it is.</summary>
    public static bool Kill(int pid, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        ProcessInfo.Signal(pid, ProcessInfo.SIGKILL);
        return ProcessInfo.WaitForExit(pid, grace, cancellationToken);
    }
}
