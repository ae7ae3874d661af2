using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Folder;

/// <summary>
/// What scripts do with a running guest of the store: read its serial console (serial.log, written by
/// qemu), wait for it to print something or reach a state, and type on its keyboard (QMP send-key).
/// Waits poll, honour the token (Ctrl+C stops the waiting, never the VM) and report progress.
/// </summary>
public sealed class GuestConsole
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private readonly VmStore _store;
    private readonly VmInspector _inspector;
    private readonly VmMonitor _monitor;
    private readonly IVmHost _host;

    public GuestConsole(VmStore store, VmInspector inspector, VmMonitor monitor, IVmHost host)
    {
        _store = store;
        _inspector = inspector;
        _monitor = monitor;
        _host = host;
    }

    /// <summary>The lines of the VM's serial log for its current (or last) boot.</summary>
    public IReadOnlyList<string> ReadSerial(string name, int? tail = null)
    {
        _store.Get(name);
        var vm = _store.Paths.ForVm(name);
        return SerialLog.ReadLines(vm.SerialLog, tail, vm.BootMarkFile);
    }

    /// <summary>
    /// Returns the first serial line of this boot that matches <paramref name="pattern"/> (with
    /// <paramref name="newOutputOnly"/>, the first printed after the call). Fails when the VM is not
    /// running or stops before printing it, or when <paramref name="deadline"/> passes.
    /// </summary>
    public SerialMatch WaitForText(string name, Regex pattern, DateTime deadline, bool newOutputOnly = false, CancellationToken cancellationToken = default)
    {
        _store.Get(name);
        var vm = _store.Paths.ForVm(name);
        var follower = new SerialLogFollower(vm.SerialLog, fromEnd: newOutputOnly, vm.BootMarkFile);
        using var countdown = new Countdown(_host, $"Waiting for VM '{name}'", $"Waiting for serial output matching '{pattern}'", deadline);
        while (true)
        {
            // Read before checking the process, so that output written just before qemu exited is seen.
            var alive = QemuProcess.Find(vm) is not null;
            foreach (var (number, text) in follower.ReadNew())
            {
                var m = pattern.Match(text);
                if (m.Success)
                {
                    return new SerialMatch(name, number, text, m);
                }
            }

            var pending = follower.Pending;
            if (pending.Length > 0 && pattern.Match(pending) is { Success: true } pm)
            {
                return new SerialMatch(name, follower.PendingLineNumber, pending, pm);
            }

            if (!alive)
            {
                throw HeadlessVmErrors.VmNotRunning(name, $", and its serial console did not print a line matching '{pattern}'",
                    SerialLog.LastLinesForMessage(vm.SerialLog, vm.BootMarkFile));
            }

            if (countdown.Expired)
            {
                throw HeadlessVmErrors.SerialTextWaitTimeout(name, pattern.ToString(), countdown.Elapsed, SerialLog.LastLinesForMessage(vm.SerialLog, vm.BootMarkFile));
            }

            countdown.Tick();
            cancellationToken.WaitHandle.WaitOne(Poll);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Waits until the VM is in <paramref name="state"/> (Running, Paused or Stopped).</summary>
    public VmInfo WaitForState(string name, VmState state, DateTime deadline, CancellationToken cancellationToken = default)
    {
        if (state is not (VmState.Running or VmState.Paused or VmState.Stopped))
        {
            throw HeadlessVmErrors.InvalidWaitState(name, state);
        }

        var spec = _store.Get(name);
        var vm = _store.Paths.ForVm(name);
        using var countdown = new Countdown(_host, $"Waiting for VM '{name}'", $"Waiting for the VM to be {state}", deadline);
        while (true)
        {
            // Stopped needs only the process check; the other states ask qemu over QMP.
            if (state == VmState.Stopped ? QemuProcess.Find(vm) is null : _inspector.Inspect(spec).State == state)
            {
                return _inspector.Inspect(spec);
            }

            if (countdown.Expired)
            {
                throw HeadlessVmErrors.VmStateWaitTimeout(name, state, countdown.Elapsed, _inspector.Inspect(spec).State, SerialLog.LastLinesForMessage(vm.SerialLog, vm.BootMarkFile));
            }

            countdown.Tick();
            cancellationToken.WaitHandle.WaitOne(Poll * 2.5);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Presses each combination in turn through QMP send-key, holding it <paramref name="holdTimeMs"/>.
    /// qemu queues the presses and releases, so they reach the guest in order.
    /// </summary>
    public void SendKeys(string name, IReadOnlyList<KeyCombination> keys, int holdTimeMs = 100, CancellationToken cancellationToken = default)
    {
        _monitor.Session(name, cancellationToken, qmp =>
        {
            foreach (var combination in keys)
            {
                cancellationToken.ThrowIfCancellationRequested();
                qmp.Execute("send-key", new JsonObject
                {
                    ["keys"] = combination.ToQmpKeys(),
                    ["hold-time"] = holdTimeMs,
                });
            }
        });
    }
}
