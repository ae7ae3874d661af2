using System.Globalization;
using System.Text;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Guest;

/// <summary>
/// A VM's serial console log (serial.log in its folder, written by qemu). A start begins a new file (the
/// old one becomes serial.previous.log); a reset (Restart-HeadlessVm) keeps the file and records where
/// the new boot begins in a boot mark (serial.boot: the byte offset), so that every reader of "this
/// boot" starts there. Read while qemu writes it, so files are opened with sharing and the last line may
/// still be incomplete.
/// </summary>
public static class SerialLog
{
    /// <summary>How many serial lines an error message quotes.</summary>
    public const int LinesInMessages = 10;

    /// <summary>The end of the serial log of this boot (from <paramref name="bootMark"/>'s offset), as a sentence to append to an error message.</summary>
    public static string LastLinesForMessage(string file, string? bootMark = null) => LastLinesForMessage(ReadLines(file, LinesInMessages, bootMark));

    /// <summary>The last of <paramref name="lines"/>, as a sentence to append to an error message.</summary>
    public static string LastLinesForMessage(IReadOnlyList<string> lines)
    {
        lines = lines.Count > LinesInMessages ? lines.Skip(lines.Count - LinesInMessages).ToArray() : lines;
        return lines.Count == 0
            ? " The serial console printed nothing."
            : $" Last serial lines:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
    }

    /// <summary>
    /// All lines of this boot (from the offset in <paramref name="bootMark"/>, the whole file without one),
    /// or its last <paramref name="tail"/>; empty when there is no log yet.
    /// </summary>
    public static IReadOnlyList<string> ReadLines(string file, int? tail = null, string? bootMark = null)
    {
        var lines = SplitLines(ReadAllShared(file, BootOffset(bootMark)));
        if (tail is not null && lines.Count > tail.Value)
        {
            return lines.Skip(lines.Count - Math.Max(0, tail.Value)).ToArray();
        }

        return lines;
    }

    /// <summary>A new start: the log of the last run becomes <paramref name="previous"/>, no boot mark is left, and an empty 0600 log waits for qemu.</summary>
    public static void StartNewBoot(string file, string previous, string bootMark)
    {
        if (File.Exists(file))
        {
            File.Move(file, previous, overwrite: true);
            PrivateFiles.MakePrivate(previous);
        }

        PrivateFiles.TryDelete(bootMark);
        // Made here, 0600, for qemu to open: the file chardev keeps an existing file's mode, where it would create one
        // under the umask 027 of a daemonized qemu (group-readable). The guest's console output is the user's alone.
        PrivateFiles.WriteRuntimeText(file, string.Empty);
    }

    /// <summary>
    /// Records that a new boot begins at the log's current end. Call it while the guest's CPUs are stopped
    /// (between QMP stop and system_reset), so no line of either boot lands on the wrong side.
    /// </summary>
    public static void MarkNewBoot(string file, string bootMark)
    {
        var length = new FileInfo(file) is { Exists: true } info ? info.Length : 0;
        PrivateFiles.WriteRuntimeText(bootMark, length.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The byte offset where this boot begins: 0 without a mark, or with a damaged one (the whole log is this boot's then).</summary>
    public static long BootOffset(string? bootMark)
    {
        if (bootMark is null)
        {
            return 0;
        }

        var read = RecordFiles.ReadText(bootMark, text =>
            long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? RecordRead<string>.Found(text.Trim())
                : RecordRead<string>.Broken("it holds no offset"));
        return read.Value is { } value ? long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>
    /// Splits console output into lines: \n ends a line, \r is dropped (consoles write \r\n), other
    /// control characters (terminal escapes, NULs) are removed so a line matches what a person saw.
    /// A final line without \n is kept.
    /// </summary>
    public static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\u001b')
            {
                i = SkipEscape(text, i);
            }
            else if (c == '\n')
            {
                lines.Add(current.ToString());
                current.Clear();
            }
            else if (c == '\t' || !char.IsControl(c))
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            lines.Add(current.ToString());
        }

        return lines;
    }

    /// <summary>The index of the last character of the terminal escape sequence starting at <paramref name="start"/>.</summary>
    private static int SkipEscape(string text, int start)
    {
        if (start + 1 >= text.Length)
        {
            return start;
        }

        if (text[start + 1] != '[')
        {
            // ESC c (reset), ESC 7, ESC ( B...: one more character, two for charset selection.
            return text[start + 1] is '(' or ')' && start + 2 < text.Length ? start + 2 : start + 1;
        }

        // CSI: parameters and intermediates up to a final byte in @..~.
        var i = start + 2;
        while (i < text.Length && text[i] is < '@' or > '~')
        {
            i++;
        }

        return Math.Min(i, text.Length - 1);
    }

    internal static string ReadAllShared(string file, long offset = 0)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            // A mark beyond the end belongs to a log that was replaced since: read it all.
            stream.Seek(offset <= stream.Length ? offset : 0, SeekOrigin.Begin);
            using var reader = new StreamReader(stream, new UTF8Encoding(false));
            return reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return string.Empty;
        }
    }
}

/// <summary>
/// Follows a growing serial log from the start of the current boot: each <see cref="ReadNew"/> returns
/// the lines completed since the last call, and <see cref="Pending"/> is the incomplete line at the end
/// (a prompt such as "login: " never gets its newline, so matching must look at it too). A new boot
/// (a new log after a start, or a new boot mark after a reset) starts the count over from its first line.
/// </summary>
public sealed class SerialLogFollower
{
    private readonly string _file;
    private readonly string? _bootMark;
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private readonly StringBuilder _partial = new();
    private long _offset;
    private long _bootOffset;
    private int _lineNumber;

    /// <param name="file">The serial log.</param>
    /// <param name="fromEnd">Skip what is there already (only lines printed from now on count).</param>
    /// <param name="bootMark">The boot mark file (<see cref="SerialLog.MarkNewBoot"/>); null to follow the whole file.</param>
    public SerialLogFollower(string file, bool fromEnd = false, string? bootMark = null)
    {
        _file = file;
        _bootMark = bootMark;
        _bootOffset = SerialLog.BootOffset(bootMark);
        _offset = _bootOffset;
        if (fromEnd && File.Exists(file))
        {
            // Skip what is there already, but keep counting lines so numbers stay those of this boot.
            var existing = SerialLog.ReadAllShared(file, _bootOffset);
            _offset = _bootOffset + new UTF8Encoding(false).GetByteCount(existing);
            _lineNumber = existing.Count(c => c == '\n');
            var last = existing.LastIndexOf('\n');
            _partial.Append(existing[(last + 1)..]);
        }
    }

    /// <summary>The incomplete last line, cleaned like the others.</summary>
    public string Pending => SerialLog.SplitLines(_partial.ToString()).FirstOrDefault() ?? string.Empty;

    /// <summary>The 1-based number (in this boot) of the line <see cref="Pending"/> will be.</summary>
    public int PendingLineNumber => _lineNumber + 1;

    /// <summary>The complete lines added since the last call, with their 1-based line numbers in this boot.</summary>
    public IReadOnlyList<(int Number, string Text)> ReadNew()
    {
        var result = new List<(int, string)>();
        FileStream stream;
        try
        {
            stream = new FileStream(_file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return result;
        }

        using (stream)
        {
            var boot = SerialLog.BootOffset(_bootMark);
            if (stream.Length < _offset || boot < _bootOffset)
            {
                // A new start began a new log (the old one became serial.previous.log).
                StartOver(0);
            }
            else if (boot > _bootOffset)
            {
                // A reset: what was read so far, and anything up to the mark, was the boot before.
                StartOver(boot);
            }

            stream.Seek(_offset, SeekOrigin.Begin);
            var buffer = new byte[64 * 1024];
            var chars = new char[buffer.Length + 4];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                _offset += read;
                var n = _decoder.GetChars(buffer, 0, read, chars, 0, flush: false);
                for (var i = 0; i < n; i++)
                {
                    if (chars[i] == '\n')
                    {
                        _lineNumber++;
                        result.Add((_lineNumber, SerialLog.SplitLines(_partial.ToString()).FirstOrDefault() ?? string.Empty));
                        _partial.Clear();
                    }
                    else
                    {
                        _partial.Append(chars[i]);
                    }
                }
            }
        }

        return result;
    }

    private void StartOver(long offset)
    {
        _bootOffset = offset;
        _offset = offset;
        _lineNumber = 0;
        _partial.Clear();
        _decoder.Reset();
    }
}
