namespace HeadlessVm.Core;

/// <summary>Progress of a wait, for Write-Progress.</summary>
public sealed record WaitProgress(string Activity, string Status, int PercentComplete, int SecondsRemaining, bool Completed = false);

/// <summary>
/// How the core talks back to whoever drives it (the cmdlet layer implements this with Write-Warning,
/// Write-Verbose, Write-Debug and Write-Progress). Every call happens on the caller's thread.
/// </summary>
public interface IVmHost
{
    void Warning(string message);
    void Verbose(string message);
    void Debug(string message);
    void Progress(WaitProgress progress);
}

public sealed class NullVmHost : IVmHost
{
    public static readonly NullVmHost Instance = new();
    public void Warning(string message) { }
    public void Verbose(string message) { }
    public void Debug(string message) { }
    public void Progress(WaitProgress progress) { }
}

/// <summary>
/// The progress of one wait with a deadline: at most one report a second while it runs, and a
/// Completed record when disposed, so the bar is gone when the wait ends however it ends.
/// </summary>
public sealed class Countdown : IDisposable
{
    private readonly IVmHost _host;
    private readonly string _activity;
    private readonly string _status;
    private readonly DateTime _started = DateTime.UtcNow;
    private int _lastReport = -1;

    public Countdown(IVmHost host, string activity, string status, DateTime deadline)
    {
        _host = host;
        _activity = activity;
        _status = status;
        Deadline = deadline;
    }

    public DateTime Deadline { get; }

    /// <summary>How long the wait has lasted.</summary>
    public TimeSpan Elapsed => DateTime.UtcNow - _started;

    public bool Expired => DateTime.UtcNow >= Deadline;

    /// <summary>Reports the time left, once per elapsed second; <paramref name="status"/> replaces the usual text.</summary>
    public void Tick(string? status = null)
    {
        var now = DateTime.UtcNow;
        var elapsed = (int)(now - _started).TotalSeconds;
        if (elapsed == _lastReport)
        {
            return;
        }

        _lastReport = elapsed;
        var total = (Deadline - _started).TotalSeconds;
        var percent = total <= 0 ? 100 : (int)Math.Min(100, 100 * (now - _started).TotalSeconds / total);
        _host.Progress(new WaitProgress(_activity, status ?? _status, percent, (int)Math.Max(0, Math.Ceiling((Deadline - now).TotalSeconds))));
    }

    public void Dispose() => _host.Progress(new WaitProgress(_activity, _status, 100, 0, Completed: true));
}

/// <summary>
/// Keeps what work on another thread reports, for the owner to replay on its own thread later
/// (PowerShell's Write* calls belong to the pipeline thread).
/// </summary>
public sealed class BufferedVmHost : IVmHost
{
    private readonly List<Action<IVmHost>> _calls = new();

    public void Warning(string message) => Add(h => h.Warning(message));

    public void Verbose(string message) => Add(h => h.Verbose(message));

    public void Debug(string message) => Add(h => h.Debug(message));

    public void Progress(WaitProgress progress)
    {
        // Progress of a background wait is stale by the time it could be shown.
    }

    /// <summary>Replays everything reported so far, in order, and forgets it.</summary>
    public void ReplayTo(IVmHost host)
    {
        Action<IVmHost>[] calls;
        lock (_calls)
        {
            calls = _calls.ToArray();
            _calls.Clear();
        }

        foreach (var call in calls)
        {
            call(host);
        }
    }

    private void Add(Action<IVmHost> call)
    {
        lock (_calls)
        {
            _calls.Add(call);
        }
    }
}
