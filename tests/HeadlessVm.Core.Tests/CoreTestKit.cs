using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Tests;

/// <summary>What several core tests share: a temp state folder that takes its processes with it, and a reporter that keeps what it hears.</summary>
public sealed class TempStore : IDisposable
{
    public TempStore(string prefix) => Root = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Root { get; }

    public State.StatePaths Paths => new(Root);

    /// <summary>Kills, by PID, every process whose command line names this folder (qemu, websockify, scripts), then deletes it.</summary>
    public void Dispose()
    {
        foreach (var pid in ProcessesMentioning(Root))
        {
            Daemon.Kill(pid, TimeSpan.FromSeconds(5));
        }

        Directory.Delete(Root, recursive: true);
    }

    public static IReadOnlyList<int> ProcessesMentioning(string text) =>
        ProcessInfo.AllIds().Where(pid => pid != Environment.ProcessId && ProcessInfo.IsAlive(pid)
            && ProcessInfo.CommandLine(pid)?.Any(a => a.Contains(text, StringComparison.Ordinal)) == true).ToArray();
}

/// <summary>An <see cref="IVmHost"/> that keeps what the core reports, for assertions.</summary>
public sealed class RecordingHost : IVmHost
{
    public List<string> Warnings { get; } = new();
    public List<string> Verbose { get; } = new();

    void IVmHost.Warning(string message) => Warnings.Add(message);
    void IVmHost.Verbose(string message) => Verbose.Add(message);
    void IVmHost.Debug(string message) { }
    void IVmHost.Progress(WaitProgress progress) { }
}

/// <summary>
/// Tests that hold VNC ports or start VMs on picked displays run one after another: one test's listener
/// would otherwise be another's "port taken" between its pick and its check.
/// </summary>
[CollectionDefinition(Name)]
public sealed class VncPortsCollection
{
    public const string Name = "VNC ports";
}
