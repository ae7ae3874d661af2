using System.Text;

namespace HeadlessVm.Core.State;

/// <summary>Files and folders only the user can read: folders 0700, files 0600, written atomically.</summary>
public static class PrivateFiles
{
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Makes the folder (and its parents) 0700 if it is missing; StateWriteException when it cannot be made.</summary>
    public static void EnsureFolder(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        var parent = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(parent) && !Directory.Exists(parent))
        {
            EnsureFolder(parent);
        }

        try
        {
            Directory.CreateDirectory(path, FolderMode);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not StateWriteException)
        {
            throw new StateWriteException(path, ex, folder: true);
        }
    }

    /// <summary>
    /// Writes through a temporary file and a rename, so a reader never sees half a file. The temporary
    /// file is made in <paramref name="tempFolder"/> (same file system) when readers list the target folder.
    /// </summary>
    public static void WriteAllText(string path, string content, string? tempFolder = null) => Write(path, content, tempFolder, durable: true);

    /// <summary>
    /// Like <see cref="WriteAllText"/>, atomic, but not flushed to disk: for facts about running
    /// processes (run.json, a bridge's token, a server's pid), which mean nothing after a power loss anyway.
    /// </summary>
    public static void WriteRuntimeText(string path, string content, string? tempFolder = null) => Write(path, content, tempFolder, durable: false);

    private static void Write(string path, string content, string? tempFolder, bool durable)
    {
        var folder = Path.GetDirectoryName(path)!;
        EnsureFolder(folder);
        var temp = Path.Combine(tempFolder ?? folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            WriteAndRename(path, temp, content, durable);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not StateWriteException)
        {
            // A full disk, a read-only remount: the record keeps its old content, and the caller learns which folder failed.
            throw new StateWriteException(path, ex);
        }
    }

    private static void WriteAndRename(string path, string temp, string content, bool durable)
    {
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = PrivateFileMode,
            }))
            {
                var bytes = Encoding.UTF8.GetBytes(content);
                stream.Write(bytes);
                stream.Flush(flushToDisk: durable);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>
    /// The file's text, or null when it is missing or unreadable: for logs and facts that may race their
    /// deletion. Records go through <see cref="RecordFiles"/>, which tells a missing file from a damaged one.
    /// </summary>
    public static string? TryReadAllText(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllText(file) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Takes group and other rights off a file that another program made in a private folder (qemu's QMP socket, made
    /// under the umask 027 that a daemonized qemu sets); a file that is not there is left alone. StateWriteException when
    /// its mode cannot be changed.
    /// </summary>
    public static void MakePrivate(string path)
    {
        try
        {
            File.SetUnixFileMode(path, PrivateFileMode);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not StateWriteException)
        {
            throw new StateWriteException(path, ex);
        }
    }

    /// <summary>Deletes a file if it is there; a file already gone is not an error.</summary>
    public static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
