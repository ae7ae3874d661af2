using System.Text.Json;

namespace HeadlessVm.Core.State;

/// <summary>
/// What reading a record file back gave: the record, nothing (no file), or damage (an empty or cut file,
/// garbage, a record that contradicts where it lies). A damaged record is never taken for a missing one:
/// callers report it for its own item and carry on with the others.
/// </summary>
public readonly record struct RecordRead<T>(T? Value, string? Damage)
    where T : class
{
    /// <summary>There is no such file.</summary>
    public bool Missing => Value is null && Damage is null;

    /// <summary>The file is there but does not hold a sound record; <see cref="Damage"/> says why.</summary>
    public bool Damaged => Damage is not null;

    public static RecordRead<T> Found(T value) => new(value, null);

    public static RecordRead<T> None => new(null, null);

    public static RecordRead<T> Broken(string why) => new(null, why);
}

/// <summary>
/// The one defensive reader of every file the module writes and reads back (vm.json, run.json,
/// bridge.json, server.json, token lines, vnc.password, pidfiles, the KVM failure notes). It never
/// throws for a file's content: a file that is empty, cut short, not JSON, JSON of another shape, or
/// that fails its record's own check is <see cref="RecordRead{T}.Damaged"/> with the reason.
/// </summary>
public static class RecordFiles
{
    /// <summary>Files above this size are damage, not records (the largest record is a few kilobytes).</summary>
    private const long MostBytes = 1024 * 1024;

    /// <summary>
    /// Reads a JSON record (<see cref="JsonRecords.Options"/>); <paramref name="check"/> returns what is wrong
    /// with a record that parsed (a name that is not its folder's, a missing list), or null when it is sound.
    /// </summary>
    public static RecordRead<T> ReadJson<T>(string file, Func<T, string?>? check = null)
        where T : class => ReadText(file, text =>
    {
        T? record;
        try
        {
            record = JsonSerializer.Deserialize<T>(text, JsonRecords.Options);
        }
        catch (JsonException ex)
        {
            return RecordRead<T>.Broken($"it is not a valid record ({ex.Message})");
        }
        catch (NotSupportedException ex)
        {
            return RecordRead<T>.Broken($"it is not a valid record ({ex.Message})");
        }

        if (record is null)
        {
            return RecordRead<T>.Broken("it holds null instead of a record");
        }

        return check?.Invoke(record) is { } wrong ? RecordRead<T>.Broken(wrong) : RecordRead<T>.Found(record);
    });

    /// <summary>Reads a text record; <paramref name="parse"/> turns the (non-empty) text into one, or says why it cannot.</summary>
    public static RecordRead<T> ReadText<T>(string file, Func<string, RecordRead<T>> parse)
        where T : class
    {
        string text;
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists)
            {
                return Directory.Exists(file) ? RecordRead<T>.Broken("it is a folder, not a file") : RecordRead<T>.None;
            }

            if (info.Length > MostBytes)
            {
                return RecordRead<T>.Broken($"it is {info.Length} bytes, far more than any record");
            }

            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Deleted between the check and the read: a record that went away is missing, not damaged.
            return RecordRead<T>.None;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return RecordRead<T>.Broken($"it cannot be read ({ex.Message})");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return RecordRead<T>.Broken("it is empty");
        }

        if (text.Contains('\0'))
        {
            return RecordRead<T>.Broken("it holds NUL bytes (a write cut short by a crash or a full disk)");
        }

        return parse(text);
    }
}
