using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Hosts;

/// <summary>
/// A registered host: its name, the libvirt URI it stands for, when it was registered, and how its VMs' consoles are
/// reached when not through the URI's own ssh (<see cref="Tunnels.ConsoleRoute.ParseConsoleVia"/>: "Direct" or an ssh://
/// endpoint; null when the URI says it).
/// </summary>
public sealed record HostRecord(string Name, string Uri, DateTimeOffset Created, string? ConsoleVia = null);

/// <summary>
/// The hosts Connect-HeadlessVmHost registered, in hosts.json in the state folder (<see cref="StatePaths.HostsFile"/>,
/// 0600): <c>{ "Hosts": [ { "Name": "h1", "Uri": "qemu+ssh://root@h1/system", "Created": "..." } ] }</c>. This type
/// reads and writes it (with "ConsoleVia" for a host registered with -ConsoleVia); changes happen under <see cref="StatePaths.HostsLockFile"/>, so several processes can
/// register hosts at once. Names are compared case-insensitively, as host names are.
/// </summary>
public sealed partial class HostRegistry
{
    /// <summary>-ComputerName's word for every registered host plus the folder store.</summary>
    public const string All = "*";

    private readonly StatePaths _paths;

    public HostRegistry(StatePaths paths) => _paths = paths;

    // A DNS label-ish name (or an IPv4 address), optionally with "user@" in front for a bare -ComputerName.
    [GeneratedRegex("^([A-Za-z0-9_][A-Za-z0-9._-]{0,62}@)?[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$")]
    private static partial Regex HostNamePattern();

    /// <summary>Every registered host, ordered by name; HostRegistryDamaged when hosts.json cannot be read back.</summary>
    public IReadOnlyList<HostRecord> List()
    {
        var read = Read();
        return read.Damaged ? throw HeadlessVmErrors.HostRegistryDamaged(_paths.HostsFile, read.Damage!) : Sound(read);
    }

    private RecordRead<HostsFile> Read() => RecordFiles.ReadJson<HostsFile>(_paths.HostsFile, f => f.Hosts is null ? "it has no Hosts list" : null);

    private static IReadOnlyList<HostRecord> Sound(RecordRead<HostsFile> read) =>
        (read.Value?.Hosts ?? new List<HostRecord>())
            .Where(h => h is not null && IsValidName(h.Name) && !string.IsNullOrWhiteSpace(h.Uri))
            .OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
            .ToArray();

    /// <summary>The hosts to change: a damaged hosts.json is started afresh, as registering a host again is how it is repaired.</summary>
    private List<HostRecord> ListForChange() => Sound(Read()).ToList();

    /// <summary>The host registered under <paramref name="name"/>, or null.</summary>
    public HostRecord? Find(string name) => List().FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The first host registered with exactly this URI, or null.</summary>
    public HostRecord? FindByUri(string uri) => List().FirstOrDefault(h => h.Uri == uri);

    /// <summary>
    /// Registers <paramref name="name"/> for <paramref name="uri"/>, its consoles reached as <paramref name="consoleVia"/> says
    /// (null: as the URI says). A name registered otherwise is HostExists unless <paramref name="replace"/>; registered
    /// the same way it is returned as it is.
    /// </summary>
    public HostRecord Register(string name, string uri, bool replace, string? consoleVia = null)
    {
        ValidateName(name);
        using var _ = FileLock.Acquire(_paths.HostsLockFile);
        var hosts = ListForChange();
        var existing = hosts.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            if (existing.Uri == uri && existing.ConsoleVia == consoleVia)
            {
                return existing;
            }

            if (!replace)
            {
                throw HeadlessVmErrors.HostExists(existing.Name, Describe(existing.Uri, existing.ConsoleVia), Describe(uri, consoleVia));
            }

            hosts.Remove(existing);
        }

        var record = new HostRecord(name, uri, DateTimeOffset.Now, consoleVia);
        hosts.Add(record);
        Save(hosts);
        return record;
    }

    /// <summary>
    /// The -ConsoleVia registered for <paramref name="name"/> with <paramref name="uri"/> (else for the first host registered
    /// with that URI); null when none is.
    /// </summary>
    public string? ConsoleViaOf(string name, string uri)
    {
        var hosts = List();
        var named = hosts.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase) && h.Uri == uri);
        return (named ?? hosts.FirstOrDefault(h => h.Uri == uri))?.ConsoleVia;
    }

    /// <summary>A registration in words: the URI, and the console route when there is one.</summary>
    public static string Describe(string uri, string? consoleVia) => consoleVia is null ? uri : $"{uri} (consoles via {consoleVia})";

    /// <summary>Forgets the host; HostNotFound when it is not registered. Returns what was registered.</summary>
    public HostRecord Forget(string name)
    {
        using var _ = FileLock.Acquire(_paths.HostsLockFile);
        var hosts = ListForChange();
        var existing = hosts.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw HeadlessVmErrors.HostNotFound(name);
        hosts.Remove(existing);
        Save(hosts);
        return existing;
    }

    /// <summary>True for a name a host can be registered under: a host name, not "local" or "*".</summary>
    public static bool IsValidName(string? name) =>
        name is not null && HostNamePattern().IsMatch(name) && !name.Contains('@', StringComparison.Ordinal) && !IsReserved(name);

    /// <summary>InvalidHostName for anything <see cref="IsValidName"/> refuses, saying why.</summary>
    public static void ValidateName(string? name)
    {
        if (name is null || !HostNamePattern().IsMatch(name) || name.Contains('@', StringComparison.Ordinal))
        {
            throw HeadlessVmErrors.InvalidHostName(name ?? string.Empty, "it has characters a host name cannot have");
        }

        if (IsReserved(name))
        {
            throw HeadlessVmErrors.InvalidHostName(name, $"'{VmInfo.LocalComputerName}' is the folder store and '{All}' means every host");
        }
    }

    /// <summary>True for what -ComputerName takes as a host name to reach over ssh: [user@]host.</summary>
    public static bool IsValidSshHost(string name) => HostNamePattern().IsMatch(name);

    private static bool IsReserved(string name) =>
        string.Equals(name, VmInfo.LocalComputerName, StringComparison.OrdinalIgnoreCase) || name == All;

    private void Save(List<HostRecord> hosts) =>
        JsonRecords.Write(_paths.HostsFile, new HostsFile(hosts.OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToList()), durable: true);

    /// <summary>hosts.json's shape.</summary>
    private sealed record HostsFile(List<HostRecord> Hosts);
}
