using System.Text.Json;
using System.Text.Json.Serialization;

namespace HeadlessVm.Core.State;

/// <summary>How the store's JSON records are written and read: indented, enums by name, nulls left out.</summary>
public static class JsonRecords
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The record in <paramref name="file"/>, or null when it is missing, unreadable or not that record.</summary>
    public static T? TryRead<T>(string file) where T : class
    {
        try
        {
            var text = PrivateFiles.TryReadAllText(file);
            return text is null ? null : JsonSerializer.Deserialize<T>(text, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the record atomically (0600). <paramref name="durable"/> flushes it to disk: for what
    /// must survive a power loss; facts about running processes need not.
    /// </summary>
    public static void Write<T>(string file, T record, bool durable)
    {
        var text = JsonSerializer.Serialize(record, Options);
        if (durable)
        {
            PrivateFiles.WriteAllText(file, text);
        }
        else
        {
            PrivateFiles.WriteRuntimeText(file, text);
        }
    }
}
