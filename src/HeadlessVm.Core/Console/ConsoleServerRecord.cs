using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Console;

/// <summary>server.json: the settings that decide whether bridges can share one websockify (equal settings, one process).</summary>
public sealed record ConsoleServerRecord(
    string ListenAddress,
    int WebPort,
    string WebRoot,
    string? CertificatePath,
    string? KeyPath,
    DateTimeOffset Created)
{
    /// <summary>True when a bridge that wants <paramref name="other"/>'s settings can join this server (the port aside).</summary>
    public bool Serves(ConsoleServerRecord other) =>
        ListenAddress == other.ListenAddress && WebRoot == other.WebRoot
        && CertificatePath == other.CertificatePath && KeyPath == other.KeyPath;

    /// <summary>The settings in a few words, for messages.</summary>
    public string Describe() => $"web root {WebRoot}, " + (CertificatePath is null ? "no TLS" : $"TLS with {CertificatePath}");

    /// <summary>The server's record: missing when there is none, damaged when it cannot be read as one.</summary>
    public static RecordRead<ConsoleServerRecord> Read(StatePaths.ConsoleServerFiles server) =>
        RecordFiles.ReadJson<ConsoleServerRecord>(server.RecordFile, r =>
            string.IsNullOrEmpty(r.ListenAddress) || string.IsNullOrEmpty(r.WebRoot) ? "it lacks its address or web root"
            : r.WebPort is < 1 or > 65535 ? $"its web port {r.WebPort} is out of range"
            : null);

    public void Write(StatePaths.ConsoleServerFiles server) => JsonRecords.Write(server.RecordFile, this, durable: false);
}
