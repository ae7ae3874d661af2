using System.Collections.Concurrent;

namespace HeadlessVm.Bench;

/// <summary>
/// A temporary folder of this bench: a HEADLESSVM_HOME for the module (one per scenario), or one hand-typed
/// run's folder for its pidfile and log. Every process a run starts names this folder on its command line (qemu's pidfile
/// and QMP socket, websockify's --log-file), so disposing it stops, by PID, whatever is still alive
/// there, then deletes the folder. Folders still open when the bench is interrupted are cleaned on exit.
/// </summary>
public sealed class Scratch : IDisposable
{
    public const string HomeVariable = "HEADLESSVM_HOME";

    private static readonly ConcurrentDictionary<Scratch, byte> Open = new();
    private readonly List<ProcessIdentity> _tracked = new();
    private int _disposed;

    /// <param name="asHome">Point HEADLESSVM_HOME here (process-wide: the module reads it on every cmdlet call).</param>
    public Scratch(bool asHome)
    {
        // Short, because unix socket paths (qemu's QMP socket in the store) are limited to 107 characters.
        Folder = Directory.CreateTempSubdirectory("hvb-").FullName;
        IsHome = asHome;
        if (asHome)
        {
            Environment.SetEnvironmentVariable(HomeVariable, Folder);
        }

        Open[this] = 0;
    }

    public string Folder { get; }

    public bool IsHome { get; }

    /// <summary>What a command line of a process of this run contains.</summary>
    public string Marker => Folder + "/";

    public string PathOf(string file) => Path.Combine(Folder, file);

    /// <summary>Remembers a process seen alive (a qemu, a bridge), to stop it by PID at the end even if it does not name the folder.</summary>
    public void Track(int? pid)
    {
        if (pid is not null && ProcessTools.Identify(pid.Value) is { } who)
        {
            lock (_tracked)
            {
                _tracked.Add(who);
            }
        }
    }

    /// <summary>The processes of this run still alive: tracked ones and any that names the folder.</summary>
    public IReadOnlyList<int> Alive()
    {
        lock (_tracked)
        {
            return _tracked.Where(ProcessTools.IsAlive).Select(t => t.Pid).Union(ProcessTools.Mentioning(Marker)).ToArray();
        }
    }

    /// <summary>Stops, by PID, every process of this run still alive (tracked ones and any that names the folder); returns how many.</summary>
    public int StopProcesses()
    {
        ProcessIdentity[] tracked;
        lock (_tracked)
        {
            tracked = _tracked.Where(ProcessTools.IsAlive).ToArray();
            _tracked.Clear();
        }

        foreach (var who in tracked)
        {
            ProcessTools.Stop(who, TimeSpan.FromSeconds(2));
        }

        return tracked.Length + ProcessTools.StopMentioning(Marker);
    }

    /// <summary>Stops every process of this run and deletes the folder; returns how many processes had to be stopped.</summary>
    public int Release()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return 0;
        }

        try
        {
            return StopProcesses();
        }
        finally
        {
            if (IsHome && Environment.GetEnvironmentVariable(HomeVariable) == Folder)
            {
                Environment.SetEnvironmentVariable(HomeVariable, null);
            }

            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }

            Open.TryRemove(this, out _);
        }
    }

    public void Dispose() => Release();

    /// <summary>Releases every folder still open: on Ctrl+C, SIGTERM or an unexpected exit.</summary>
    public static void ReleaseAll()
    {
        foreach (var scratch in Open.Keys.ToArray())
        {
            scratch.Release();
        }
    }
}
