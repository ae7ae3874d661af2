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

    /// <summary>
    /// HEADLESSVM_HOME whenever no bench store is open: a folder nobody can create, so that a module
    /// command run late (after Ctrl+C) fails instead of falling back to the user's own store.
    /// </summary>
    public const string NoStore = "/proc/headlessvm-bench-no-store";

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
                Environment.SetEnvironmentVariable(HomeVariable, NoStore);
            }

            Delete();
            Open.TryRemove(this, out _);
        }
    }

    /// <summary>
    /// Deletes the folder. When the bench is interrupted, a pipeline of the module may still be writing
    /// into it (and starting a process) while it goes: sweep and try again.
    /// </summary>
    private void Delete()
    {
        for (var attempt = 0; attempt < 5 && Directory.Exists(Folder); attempt++)
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(50);
                ProcessTools.StopMentioning(Marker);
            }
        }
    }

    public void Dispose() => Release();

    /// <summary>True when HEADLESSVM_HOME is the folder of an open bench store, so module commands touch only the bench's own VMs.</summary>
    public static bool HomeIsOurs =>
        Environment.GetEnvironmentVariable(HomeVariable) is { } home && Open.Keys.Any(s => s.IsHome && s.Folder == home);

    /// <summary>Releases every folder still open: between scenarios, and on Ctrl+C or SIGTERM.</summary>
    public static void ReleaseAll()
    {
        foreach (var scratch in Open.Keys.ToArray())
        {
            scratch.Release();
        }
    }

    /// <summary>
    /// Stops the bench at once: no new program starts, the ones starting finish forking, every folder is
    /// released, and after a moment swept once more for a process the module's interrupted pipeline may
    /// still have started.
    /// </summary>
    public static void StopEverything()
    {
        var markers = Open.Keys.Select(s => s.Marker).ToArray();
        ProcessTools.StopStarting(TimeSpan.FromSeconds(5));
        ReleaseAll();
        Thread.Sleep(500);
        foreach (var marker in markers)
        {
            ProcessTools.StopMentioning(marker);
        }
    }
}
