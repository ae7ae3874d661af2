using System.Runtime.CompilerServices;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Tests;

/// <summary>
/// What several core tests share: a temp state folder that takes its processes with it, and a reporter
/// that keeps what it hears.
/// </summary>
public sealed class TempStore : IDisposable
{
    private int _disposed;

    public TempStore(string prefix) => Root = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Root { get; }

    public State.StatePaths Paths => new(Root);

    /// <summary>
    /// Removes, through the core, every VM and bridge in the folder (a test may leave them for this), then
    /// sweeps /proc: a process whose command line still names the folder (qemu, websockify, a script)
    /// leaked past the core or the test, so it is killed by PID and the test fails. Deletes the folder.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            RemoveThroughTheCore();
        }
        finally
        {
            var leftovers = LeftoverProcesses.Sweep(Root);
            Directory.Delete(Root, recursive: true);
            if (LeftoverProcesses.Describe(leftovers, "The test") is { } leak)
            {
                throw new Xunit.Sdk.XunitException(leak);
            }
        }
    }

    private void RemoveThroughTheCore()
    {
        if (!Directory.Exists(Paths.VmsFolder) && !Directory.Exists(Paths.ConsolesFolder) && !Directory.Exists(Paths.BridgesFolder))
        {
            return;
        }

        var context = new HeadlessVmContext(Paths);
        foreach (var name in context.Vms.Names())
        {
            try
            {
                context.Vms.Remove(name, force: true, CancellationToken.None);
            }
            catch (HeadlessVmException)
            {
                // A record a test broke on purpose; the sweep below still stops its processes.
            }
        }

        foreach (var bridge in context.Bridges.Names())
        {
            try
            {
                context.Bridges.Stop(bridge);
            }
            catch (HeadlessVmException)
            {
            }
        }
    }
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

/// <summary>
/// The core tests name their stores explicitly; should one fall back to the environment, HEADLESSVM_HOME
/// names no usable store (see <see cref="NoStore"/>), never the user's.
/// </summary>
internal static class NoStoreAtLoad
{
    [ModuleInitializer]
    internal static void Apply() => NoStore.Apply();
}
