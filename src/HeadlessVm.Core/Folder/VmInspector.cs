using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Folder;

/// <summary>
/// Joins a VM's record with what the system says now: is its qemu alive, what QMP reports, how it was
/// started, and its console bridge's URL. Many VMs are asked concurrently.
/// </summary>
public sealed class VmInspector
{
    /// <summary>How many VMs are asked at once.</summary>
    public const int Concurrency = 8;

    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(3);

    private readonly StatePaths _paths;
    private readonly BridgeRecords _bridges;
    private readonly IVmHost _host;

    public VmInspector(StatePaths paths, BridgeRecords bridges, IVmHost host)
    {
        _paths = paths;
        _bridges = bridges;
        _host = host;
    }

    /// <summary>The VM as it is now.</summary>
    public VmInfo Inspect(VmSpec spec) => Inspect(spec, _host);

    /// <summary>
    /// These VMs as they are now. They are asked concurrently (one QMP connection each, on a few
    /// threads), so many VMs cost little more than the slowest answer; what they report for -Debug is
    /// replayed afterwards, in order, on the caller's thread. A failure is thrown after all are asked.
    /// </summary>
    public IReadOnlyList<VmInfo> Inspect(IReadOnlyList<VmSpec> specs)
    {
        if (specs.Count < 2)
        {
            return specs.Select(Inspect).ToArray();
        }

        var results = new VmInfo[specs.Count];
        var logs = specs.Select(_ => new BufferedVmHost()).ToArray();
        ExceptionDispatchInfo? failure = null;
        var next = -1;
        void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < specs.Count)
            {
                try
                {
                    results[i] = Inspect(specs[i], logs[i]);
                }
                catch (Exception ex)
                {
                    // Not lost on a worker thread: the caller gets it.
                    Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(ex), null);
                }
            }
        }

        // Dedicated threads rather than the thread pool: the work is waiting on qemu, and the pool
        // would add threads slowly.
        var workers = Enumerable.Range(0, Math.Min(specs.Count, Concurrency) - 1)
            .Select(_ => new Thread(Work) { IsBackground = true })
            .ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        Work();
        foreach (var worker in workers)
        {
            worker.Join();
        }

        foreach (var log in logs)
        {
            log.ReplayTo(_host);
        }

        failure?.Throw();
        return results;
    }

    private VmInfo Inspect(VmSpec spec, IVmHost host)
    {
        var vm = _paths.ForVm(spec.Name);
        var pid = QemuProcess.Find(vm);
        var run = pid is null ? null : RunRecord.Read(vm).Value;
        var state = pid is null ? VmState.Stopped : QueryState(spec.Name, vm, host);
        var accel = run?.Accelerator ?? spec.Accelerator;
        var cpu = run?.Cpu ?? spec.Cpu ?? (spec.Accelerator == AcceleratorKind.Auto ? Backends.VmDraftValidator.AutoCpu : Accelerators.DefaultCpu(spec.Accelerator));
        var consoleUrl = _bridges.ConsoleUrlOfVm(spec.Name, vmRunning: pid is not null, () => VmSecrets.ReadVncPassword(vm));
        return new VmInfo(spec, state, pid, accel, cpu, pid is null ? null : ProcessInfo.Uptime(pid.Value), vm.Folder, consoleUrl);
    }

    private static VmState QueryState(string name, StatePaths.VmFiles vm, IVmHost host)
    {
        try
        {
            return MapStatus(QmpClient.QueryStatus(vm.QmpSocket, StatusTimeout, host.Debug));
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or SocketException or QmpException or JsonException)
        {
            host.Debug($"VM '{name}': QMP did not answer: {ex.Message}");
            return VmState.Unresponsive;
        }
    }

    /// <summary>qemu's RunState (QMP query-status) as a <see cref="VmState"/>.</summary>
    private static VmState MapStatus(string? status) => status switch
    {
        "running" => VmState.Running,
        // prelaunch: started with -S (New-HeadlessVm -Paused), CPUs not yet run.
        "paused" or "suspended" or "prelaunch" => VmState.Paused,
        "internal-error" or "io-error" or "guest-panicked" or "shutdown" or "watchdog" => VmState.Crashed,
        _ => VmState.Other,
    };
}
