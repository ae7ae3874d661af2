using System.Net.Sockets;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Folder;

/// <summary>
/// Power for the store's VMs: the ACPI power button with one shared wait, power off (QMP quit, then
/// SIGTERM, then SIGKILL), pause, resume, reset, and removal. A VM that stops or goes takes its
/// console bridge with it.
/// </summary>
public sealed class PowerControl
{
    /// <summary>How long each step of a power off (quit, SIGTERM, SIGKILL) may take.</summary>
    private static readonly TimeSpan PowerOffStep = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(2);

    private readonly VmStore _store;
    private readonly VmMonitor _monitor;
    private readonly VmInspector _inspector;
    private readonly BridgeRecords _bridges;
    private readonly IVmHost _host;

    public PowerControl(VmStore store, VmMonitor monitor, VmInspector inspector, BridgeRecords bridges, IVmHost host)
    {
        _store = store;
        _monitor = monitor;
        _inspector = inspector;
        _bridges = bridges;
        _host = host;
    }

    /// <inheritdoc cref="Backends.IVmBackend.Stop"/>
    public void Stop(IReadOnlyList<string> names, TimeSpan timeout, bool force, Action<VmInfo> stopped, Action<string, Exception> failed, CancellationToken cancellationToken)
    {
        var waiting = new List<(VmSpec Spec, StatePaths.VmFiles Vm, int Pid)>();
        foreach (var name in names)
        {
            try
            {
                var spec = _store.Get(name);
                var vm = _store.Paths.ForVm(name);
                var pid = QemuProcess.Find(vm);
                if (pid is null)
                {
                    _host.Verbose($"VM '{name}' is not running.");
                    stopped(Finish(spec, vm));
                }
                else if (force)
                {
                    PowerOff(name, vm, pid.Value, cancellationToken);
                    stopped(Finish(spec, vm));
                }
                else if (!PressPowerButton(name, vm, cancellationToken))
                {
                    _host.Verbose($"VM '{name}' was started with its CPUs stopped and has never run, so no guest can see the power button; powering it off.");
                    PowerOff(name, vm, pid.Value, cancellationToken);
                    stopped(Finish(spec, vm));
                }
                else
                {
                    _host.Verbose($"Sent the ACPI power button to VM '{name}'; waiting up to {timeout.TotalSeconds:0} s for it to power down.");
                    waiting.Add((spec, vm, pid.Value));
                }
            }
            catch (HeadlessVmException ex)
            {
                failed(name, ex);
            }
        }

        if (waiting.Count == 0)
        {
            return;
        }

        var activity = waiting.Count == 1 ? $"Stopping VM '{waiting[0].Spec.Name}'" : $"Stopping {waiting.Count} VMs";
        WaitForExits(waiting.Select(w => w.Pid).ToArray(), timeout, activity, cancellationToken);
        foreach (var (spec, vm, pid) in waiting)
        {
            if (ProcessInfo.IsAlive(pid))
            {
                _host.Warning($"VM '{spec.Name}' did not shut down within {timeout.TotalSeconds:0} s of the ACPI power button; powering it off.");
                PowerOff(spec.Name, vm, pid, cancellationToken);
            }

            stopped(Finish(spec, vm));
        }
    }

    /// <summary>Pauses the guest's CPUs (QMP stop).</summary>
    public VmInfo Suspend(string name, CancellationToken cancellationToken) => Control(name, "stop", cancellationToken);

    /// <summary>Runs the guest's CPUs (QMP cont).</summary>
    public VmInfo Resume(string name, CancellationToken cancellationToken) => Control(name, "cont", cancellationToken);

    /// <summary>
    /// A hard reset, like pressing the reset button (QMP system_reset); the qemu process and its ports
    /// stay. The reset is a boot boundary for every reader of the serial console: with the CPUs stopped,
    /// the log's end is marked as the new boot's start (SerialLog.MarkNewBoot), so that waiting for a line
    /// after a restart never matches the boot before. A paused VM stays paused.
    /// </summary>
    public VmInfo Restart(string name, CancellationToken cancellationToken)
    {
        var spec = _store.Get(name);
        var vm = _store.Paths.ForVm(name);
        _monitor.Session(name, cancellationToken, qmp =>
        {
            var running = qmp.Execute("query-status")?["status"]?.GetValue<string>() == "running";
            if (running)
            {
                qmp.Execute("stop");
            }

            try
            {
                SerialLog.MarkNewBoot(vm.SerialLog, vm.BootMarkFile);
                qmp.Execute("system_reset");
            }
            finally
            {
                if (running)
                {
                    qmp.Execute("cont");
                }
            }
        });

        return _inspector.Inspect(spec);
    }

    /// <summary>
    /// Deletes the VM's record and its folder (never the user's ISO or disk images); returns the VM as it
    /// was. A VM whose record is damaged goes only with <paramref name="force"/> (VmRecordDamaged
    /// otherwise): its qemu, if one still runs, is found by the QMP socket path on its command line and
    /// powered off, and null is returned, as there is no record to describe it.
    /// </summary>
    public VmInfo? Remove(string name, bool force, CancellationToken cancellationToken)
    {
        var read = _store.Read(name);
        var vm = _store.Paths.ForVm(name);
        if (read.Damaged)
        {
            if (!force)
            {
                throw HeadlessVmErrors.VmRecordDamaged(name, vm.SpecFile, read.Damage!);
            }

            if ((QemuProcess.Find(vm) ?? QemuProcess.FindByCommandLine(vm)) is { } running)
            {
                PowerOff(name, vm, running, cancellationToken);
            }

            QemuProcess.Kill(vm);
            _bridges.StopForVm(name);
            _store.Delete(name);
            _host.Verbose($"Removed VM '{name}', whose record was damaged ({read.Damage}).");
            return null;
        }

        var spec = read.Value ?? throw HeadlessVmErrors.VmNotFound(name);
        var before = _inspector.Inspect(spec);
        if (QemuProcess.Find(vm) is { } pid)
        {
            if (!force)
            {
                throw HeadlessVmErrors.VmIsRunning(name);
            }

            PowerOff(name, vm, pid, cancellationToken);
        }

        _bridges.StopForVm(name);
        _store.Delete(name);
        return before;
    }

    private VmInfo Control(string name, string command, CancellationToken cancellationToken)
    {
        _monitor.Execute(name, command, cancellationToken);
        return _inspector.Inspect(_store.Get(name));
    }

    /// <summary>
    /// Presses the ACPI power button; false, without pressing it, when the VM is in qemu's "prelaunch"
    /// state (started with -S, CPUs never run): not even firmware runs there to see the button, and
    /// resuming it would boot the guest only to wait out the whole timeout.
    /// </summary>
    private bool PressPowerButton(string name, StatePaths.VmFiles vm, CancellationToken cancellationToken)
    {
        var pressed = false;
        _monitor.Session(name, vm, cancellationToken, qmp =>
        {
            switch (qmp.Execute("query-status")?["status"]?.GetValue<string>())
            {
                case "prelaunch":
                    return;
                case "paused":
                    // A paused guest cannot see the power button.
                    qmp.Execute("cont");
                    break;
            }

            qmp.Execute("system_powerdown");
            pressed = true;
        });
        return pressed;
    }

    /// <summary>A stopped VM's run files go, and so does its console bridge.</summary>
    private VmInfo Finish(VmSpec spec, StatePaths.VmFiles vm)
    {
        QemuProcess.ForgetRun(vm);
        _bridges.StopForVm(spec.Name);
        return _inspector.Inspect(spec);
    }

    /// <summary>QMP quit, then SIGTERM, then SIGKILL, each given <see cref="PowerOffStep"/> to end the process.</summary>
    private void PowerOff(string name, StatePaths.VmFiles vm, int pid, CancellationToken cancellationToken)
    {
        try
        {
            using var qmp = QmpClient.Connect(vm.QmpSocket, QuitTimeout, _host.Debug, cancellationToken);
            qmp.Execute("quit");
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or SocketException or QmpException)
        {
            _host.Verbose($"VM '{name}': QMP quit failed ({ex.Message}); signalling qemu.");
        }

        if (ProcessInfo.WaitForExit(pid, PowerOffStep, cancellationToken))
        {
            return;
        }

        Daemon.Stop(pid, PowerOffStep, cancellationToken, signal =>
            _host.Verbose($"VM '{name}': sending {(signal == ProcessInfo.SIGTERM ? "SIGTERM" : "SIGKILL")} to qemu (PID {pid})."));
    }

    /// <summary>Waits until every process has exited or the timeout passes, with a countdown.</summary>
    private void WaitForExits(IReadOnlyList<int> pids, TimeSpan timeout, string activity, CancellationToken cancellationToken)
    {
        var status = pids.Count == 1 ? "Waiting for the guest to shut down" : "Waiting for the guests to shut down";
        using var countdown = new Countdown(_host, activity, status, DateTime.UtcNow + timeout);
        var pause = new Backoff(100);
        while (true)
        {
            var alive = pids.Count(ProcessInfo.IsAlive);
            if (alive == 0 || countdown.Expired)
            {
                return;
            }

            countdown.Tick(pids.Count == 1 ? null : $"{status}: {pids.Count - alive} of {pids.Count} done");
            pause.Wait(cancellationToken);
        }
    }
}
