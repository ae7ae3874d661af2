using System.Globalization;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.State;

/// <summary>
/// An exclusive lock on a file of the store, across processes. The VMs and the console bridges have a
/// lock each (<see cref="StatePaths.LockFile"/>, <see cref="StatePaths.BridgeLockFile"/>), so starting a
/// bridge never waits for a VM to start; whoever holds both takes the VM lock first.
/// </summary>
public static class FileLock
{
    /// <summary>
    /// How long a command waits for a lock before it gives up with StateLocked. A lock is held for the
    /// length of one VM's start at most (qemu, its QMP handshake, a KVM fallback): seconds, not minutes.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    // flock(2) fails with EWOULDBLOCK (EAGAIN, 11 on Linux) when another open file holds the lock; .NET
    // reports it as an IOException whose HResult is that errno. Any other failure is the folder's fault.
    private const int EWouldBlock = 11;

    /// <summary>
    /// Waits for the lock on <paramref name="path"/> (created 0600) for up to <paramref name="timeout"/>
    /// (<see cref="DefaultTimeout"/> when null); released when disposed. Throws StateLocked (naming the
    /// holder's PID when /proc shows it) at the timeout, <see cref="StateWriteException"/> at once when
    /// the folder cannot hold the lock file (read-only, a file, under /proc), and
    /// OperationCanceledException when cancelled.
    /// </summary>
    public static IDisposable Acquire(string path, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        PrivateFiles.EnsureFolder(Path.GetDirectoryName(path)!);
        var wait = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + wait;
        var pause = new Backoff(20);
        while (true)
        {
            try
            {
                // On Linux .NET implements FileShare.None with flock(LOCK_EX | LOCK_NB), which other
                // processes running this module honour (and so do other threads: each open is its own).
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException ex) when (ex.HResult == EWouldBlock)
            {
                if (DateTime.UtcNow >= deadline)
                {
                    throw HeadlessVmErrors.StateLocked(path, wait, Holder(path));
                }

                pause.Wait(cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not StateWriteException)
            {
                throw new StateWriteException(path, ex);
            }
        }
    }

    /// <summary>
    /// Who holds the flock on <paramref name="path"/>: "PID 1234 (pwsh -File x.ps1)", or null when /proc
    /// does not tell. /proc/locks lists each FLOCK WRITE lock with its PID (proc(5)); of those, the one
    /// that has this file open is the holder.
    /// </summary>
    public static string? Holder(string path)
    {
        string[] locks;
        try
        {
            locks = File.ReadAllLines("/proc/locks");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        foreach (var line in locks)
        {
            // "3: FLOCK  ADVISORY  WRITE 12345 fe:00:1234567 0 EOF"
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var at = Array.IndexOf(fields, "FLOCK");
            if (at < 0 || fields.Length < at + 4 || fields[at + 2] != "WRITE"
                || !int.TryParse(fields[at + 3], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !HasOpen(pid, path))
            {
                continue;
            }

            var argv = ProcessInfo.CommandLine(pid);
            return argv is { Count: > 0 } ? $"PID {pid} ({string.Join(' ', argv.Take(4))})" : $"PID {pid}";
        }

        return null;
    }

    private static bool HasOpen(int pid, string path)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget == path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
