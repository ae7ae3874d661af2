using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Model;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Core.Guest;

/// <summary>A line of the serial log that matched what a wait looked for.</summary>
public sealed record SerialMatch(string VmName, int LineNumber, string Line, Match Match);

/// <summary>
/// What scripts do with a running guest: read its serial console, wait for it to print something or
/// reach a state, and type on its keyboard. Waits poll, honour the token (Ctrl+C stops the waiting,
/// never the VM) and report progress through the service's host.
/// </summary>
public sealed class GuestConsole
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public GuestConsole(VmService service) => Service = service;

    public VmService Service { get; }

    private IVmHost Host => Service.Host;

    /// <summary>The lines of the VM's serial log for its current (or last) boot.</summary>
    public IReadOnlyList<string> ReadSerial(string name, int? tail = null)
    {
        Service.Store.Get(name);
        return SerialLog.ReadLines(Service.Store.Paths.ForVm(name).SerialLog, tail);
    }

    /// <summary>
    /// Returns the first serial line of this boot that matches <paramref name="pattern"/> (with
    /// <paramref name="newOutputOnly"/>, the first printed after the call). Fails when the VM is not
    /// running or stops before printing it, or when <paramref name="deadline"/> passes.
    /// </summary>
    public SerialMatch WaitForText(string name, Regex pattern, DateTime deadline, bool newOutputOnly = false, CancellationToken cancellationToken = default)
    {
        var spec = Service.Store.Get(name);
        var log = Service.Store.Paths.ForVm(name).SerialLog;
        var follower = new SerialLogFollower(log, fromEnd: newOutputOnly);
        using var countdown = new Countdown(Host, $"Waiting for VM '{name}'", $"Waiting for serial output matching '{pattern}'", deadline);
        while (true)
        {
            // Read before checking the process, so that output written just before qemu exited is seen.
            var alive = Service.FindProcess(spec) is not null;
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
                throw new HeadlessVmException("VmNotRunning", FailureKind.InvalidOperation, name,
                    $"VM '{name}' is not running, and its serial console did not print a line matching '{pattern}'." + SerialLog.LastLinesForMessage(log));
            }

            if (countdown.Expired)
            {
                throw new HeadlessVmException("SerialTextWaitTimeout", FailureKind.OperationTimeout, name,
                    $"VM '{name}' did not print a line matching '{pattern}' within {countdown.Elapsed.TotalSeconds:0} s." + SerialLog.LastLinesForMessage(log));
            }

            countdown.Tick();
            cancellationToken.WaitHandle.WaitOne(Poll);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Waits until the VM is in <paramref name="state"/> (Running, Paused or Stopped).</summary>
    public VmObject WaitForState(string name, VmState state, DateTime deadline, CancellationToken cancellationToken = default)
    {
        if (state is not (VmState.Running or VmState.Paused or VmState.Stopped))
        {
            throw new HeadlessVmException("InvalidWaitState", FailureKind.InvalidArgument, name,
                $"Wait for Running, Paused or Stopped, not {state}.");
        }

        var spec = Service.Store.Get(name);
        using var countdown = new Countdown(Host, $"Waiting for VM '{name}'", $"Waiting for the VM to be {state}", deadline);
        while (true)
        {
            // Stopped needs only the process check; the other states ask qemu over QMP.
            if (state == VmState.Stopped ? Service.FindProcess(spec) is null : Service.Inspect(spec).State == state)
            {
                return Service.Inspect(spec);
            }

            if (countdown.Expired)
            {
                var current = Service.Inspect(spec).State;
                throw new HeadlessVmException("VmStateWaitTimeout", FailureKind.OperationTimeout, name,
                    $"VM '{name}' was not {state} within {countdown.Elapsed.TotalSeconds:0} s; it is {current}." +
                    SerialLog.LastLinesForMessage(Service.Store.Paths.ForVm(name).SerialLog));
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
        using var qmp = Service.ConnectQmp(name, cancellationToken);
        foreach (var combination in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            qmp.Execute("send-key", new JsonObject
            {
                ["keys"] = combination.ToQmpKeys(),
                ["hold-time"] = holdTimeMs,
            });
        }
    }
}
