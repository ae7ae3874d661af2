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
