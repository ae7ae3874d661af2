namespace HeadlessVm.Core.State;

/// <summary>
/// An exclusive lock on a file of the store, across processes. The VMs and the console bridges have a
/// lock each (<see cref="StatePaths.LockFile"/>, <see cref="StatePaths.BridgeLockFile"/>), so starting a
/// bridge never waits for a VM to start; whoever holds both takes the VM lock first.
/// </summary>
public static class FileLock
{
    /// <summary>Waits for the lock on <paramref name="path"/> (created 0600) until cancelled; released when disposed.</summary>
    public static IDisposable Acquire(string path, CancellationToken cancellationToken = default)
    {
        PrivateFiles.EnsureFolder(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                // On Linux .NET implements FileShare.None with an advisory flock, which other
                // processes running this module honour.
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException)
            {
                // Short waits: a lock is held for milliseconds.
                if (cancellationToken.WaitHandle.WaitOne(5))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
    }
}
