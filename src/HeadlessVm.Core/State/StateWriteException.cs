namespace HeadlessVm.Core.State;

/// <summary>
/// The state folder refused a write: a read-only or full file system, a path that is a file or under
/// /proc, a folder without write permission. <see cref="Path"/> is the file or folder that failed; the
/// inner exception is the file system's own error. <see cref="Errors.HeadlessVmErrors.StateFolderUnusable"/>
/// turns it into the catalogued error that names the folder and the variable that chose it.
/// </summary>
public sealed class StateWriteException : IOException
{
    /// <param name="path">The file or folder that could not be written.</param>
    /// <param name="inner">The file system's error.</param>
    /// <param name="folder">True when <paramref name="path"/> was to be made a folder (so a file there is the fault).</param>
    public StateWriteException(string path, Exception inner, bool folder = false)
        : base($"Cannot write '{path}': {ReasonOf(path, inner, folder)}", inner)
    {
        Path = path;
        Reason = ReasonOf(path, inner, folder);
    }

    /// <summary>The file or folder that could not be written.</summary>
    public string Path { get; }

    /// <summary>Why, in a few words: the file system's message, or what the path turned out to be.</summary>
    public string Reason { get; }

    private static string ReasonOf(string path, Exception inner, bool folder)
    {
        // .NET says "could not find a part of the path" for a parent that is a file, "already exists" for
        // a folder that is a file, and "could not find file" for a folder under /proc: name what it is instead.
        for (var p = folder ? path : System.IO.Path.GetDirectoryName(path); !string.IsNullOrEmpty(p); p = System.IO.Path.GetDirectoryName(p))
        {
            if (File.Exists(p))
            {
                return $"'{p}' is a file, not a folder";
            }
        }

        var full = System.IO.Path.GetFullPath(path);
        if (full == "/proc" || full.StartsWith("/proc/", StringComparison.Ordinal) || full == "/sys" || full.StartsWith("/sys/", StringComparison.Ordinal))
        {
            return $"'{full}' is in a kernel file system (/proc or /sys), where no files can be made";
        }

        return inner.Message.TrimEnd('.');
    }
}
