using System.Text;

namespace HeadlessVm.Core.Guest;

/// <summary>
/// A VM's serial console log (serial.log in its folder, written by qemu, one per boot). Read while
/// qemu writes it, so files are opened with sharing and the last line may still be incomplete.
/// </summary>
public static class SerialLog
{
    /// <summary>How many serial lines an error message quotes.</summary>
    public const int LinesInMessages = 10;

    /// <summary>The end of the serial log, as a sentence to append to an error message.</summary>
    public static string LastLinesForMessage(string file) => LastLinesForMessage(ReadLines(file, LinesInMessages));

    /// <summary>The last of <paramref name="lines"/>, as a sentence to append to an error message.</summary>
    public static string LastLinesForMessage(IReadOnlyList<string> lines)
    {
        lines = lines.Count > LinesInMessages ? lines.Skip(lines.Count - LinesInMessages).ToArray() : lines;
        return lines.Count == 0
            ? " The serial console printed nothing."
            : $" Last serial lines:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
    }

    /// <summary>All lines of the log, or its last <paramref name="tail"/>; empty when there is no log yet.</summary>
    public static IReadOnlyList<string> ReadLines(string file, int? tail = null)
    {
        var lines = SplitLines(ReadAllShared(file));
        if (tail is not null && lines.Count > tail.Value)
        {
            return lines.Skip(lines.Count - Math.Max(0, tail.Value)).ToArray();
        }

        return lines;
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

    internal static string ReadAllShared(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
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
/// Follows a growing serial log: each <see cref="ReadNew"/> returns the lines completed since the last
/// call, and <see cref="Pending"/> is the incomplete line at the end (a prompt such as "login: " never
/// gets its newline, so matching must look at it too).
/// </summary>
public sealed class SerialLogFollower
{
    private readonly string _file;
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private readonly StringBuilder _partial = new();
    private long _offset;
    private int _lineNumber;

    public SerialLogFollower(string file, bool fromEnd = false)
    {
        _file = file;
        if (fromEnd && File.Exists(file))
        {
            // Skip what is there already, but keep counting lines so numbers stay those of the file.
            var existing = SerialLog.ReadAllShared(file);
            _offset = new UTF8Encoding(false).GetByteCount(existing);
            _lineNumber = existing.Count(c => c == '\n');
            var last = existing.LastIndexOf('\n');
            _partial.Append(existing[(last + 1)..]);
        }
    }

    /// <summary>The incomplete last line, cleaned like the others.</summary>
    public string Pending => SerialLog.SplitLines(_partial.ToString()).FirstOrDefault() ?? string.Empty;

    /// <summary>The 1-based number of the line <see cref="Pending"/> will be.</summary>
    public int PendingLineNumber => _lineNumber + 1;

    /// <summary>The complete lines added since the last call, with their 1-based line numbers.</summary>
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
            if (stream.Length < _offset)
            {
                // A new boot started a new log (the old one became serial.previous.log).
                _offset = 0;
                _lineNumber = 0;
                _partial.Clear();
                _decoder.Reset();
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
}
