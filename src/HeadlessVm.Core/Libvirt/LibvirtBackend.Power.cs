using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Power: the ACPI button with one shared wait, power off, pause, resume, reset, and undefining.</summary>
public sealed partial class LibvirtBackend
{
    /// <inheritdoc cref="Backends.IVmBackend.Stop"/>
    /// <remarks>
    /// The power button is virDomainShutdownFlags(ACPI_POWER_BTN) (a paused guest is resumed first: it cannot see the
    /// button); drivers without that method (the test driver) get their own. The wait wakes on lifecycle events and
    /// reads the states in one RPC; power off is virDomainDestroy.
    /// </remarks>
    public void Stop(IReadOnlyList<string> names, TimeSpan timeout, bool force, Action<VmInfo> stopped, Action<string, Exception> failed, CancellationToken cancellationToken)
    {
        using var events = _connection.SubscribeLifecycle();
        var waiting = new List<string>();
        foreach (var name in names)
        {
            try
            {
                var state = Info(name).Status.State;
                if (state == LibvirtDomainState.Shutoff)
                {
                    _host.Verbose($"VM '{name}' on {HostName} is not running.");
                    stopped(Finish(name));
                }
                else if (force)
                {
                    _connection.Destroy(name);
                    stopped(Finish(name));
                }
                else
                {
                    if (state is LibvirtDomainState.Paused or LibvirtDomainState.PMSuspended)
                    {
                        _connection.Resume(name);
                    }

                    PressPowerButton(name);
                    _host.Verbose($"Sent the ACPI power button to VM '{name}' on {HostName}; waiting up to {timeout.TotalSeconds:0} s for it to power down.");
                    waiting.Add(name);
                }
            }
            catch (HeadlessVmException e)
            {
                failed(name, e);
            }
        }

        if (waiting.Count == 0)
        {
            return;
        }

        var activity = waiting.Count == 1 ? $"Stopping VM '{waiting[0]}'" : $"Stopping {waiting.Count} VMs";
        var status = waiting.Count == 1 ? "Waiting for the guest to shut down" : "Waiting for the guests to shut down";
        using (var countdown = new Countdown(_host, activity, status, DateTime.UtcNow + timeout))
        {
            WaitFor(() => StillRunning(waiting).Count == 0, events, countdown, cancellationToken,
                () => waiting.Count == 1 ? null : $"{status}: {waiting.Count - StillRunning(waiting).Count} of {waiting.Count} done");
        }

        var running = StillRunning(waiting);
        foreach (var name in waiting)
        {
            try
            {
                if (running.Contains(name))
                {
                    _host.Warning($"VM '{name}' on {HostName} did not shut down within {timeout.TotalSeconds:0} s of the ACPI power button; powering it off.");
                    _connection.Destroy(name);
                }

                stopped(Finish(name));
            }
            catch (HeadlessVmException e)
            {
                failed(name, e);
            }
        }
    }

    /// <summary>Pauses the guest's CPUs (virDomainSuspend); a paused VM is returned as it is.</summary>
    public VmInfo Suspend(string name, CancellationToken cancellationToken)
    {
        if (Running(name).Status.State == LibvirtDomainState.Running)
        {
            _connection.Suspend(name);
        }

        return Get(name);
    }

    /// <summary>Runs the guest's CPUs again (virDomainResume); a running VM is returned as it is.</summary>
    public VmInfo Resume(string name, CancellationToken cancellationToken)
    {
        if (Running(name).Status.State is LibvirtDomainState.Paused or LibvirtDomainState.PMSuspended)
        {
            _connection.Resume(name);
        }

        return Get(name);
    }

    /// <summary>A hard reset (virDomainReset); the domain keeps running.</summary>
    public VmInfo Restart(string name, CancellationToken cancellationToken)
    {
        Running(name);
        _connection.Reset(name);
        return Get(name);
    }

    /// <summary>
    /// Undefines the domain (with its managed-save image, snapshot metadata and NVRAM; never its disks) and returns it as
    /// it was. An External domain needs <paramref name="force"/> (VmIsExternal); a running one is VmIsRunning unless
    /// <paramref name="force"/>, which powers it off first. The serial log HeadlessVm gave a domain on this machine goes too, and so does its cloud-init seed volume (the module's, not the user's).
    /// </summary>
    public VmInfo Remove(string name, bool force, CancellationToken cancellationToken)
    {
        var info = Info(name);
        var before = Build(info);
        if (before.ManagedBy == ManagedBy.External && !force)
        {
            throw HeadlessVmErrors.VmIsExternal(name, HostName);
        }

        if (info.Status.State != LibvirtDomainState.Shutoff)
        {
            if (!force)
            {
                throw HeadlessVmErrors.VmIsRunning(name);
            }

            _connection.Destroy(name);
        }

        var serialLog = before.ManagedBy == ManagedBy.HeadlessVm && Location.IsThisMachine ? DomainVms.SerialLogFile(Parse(name)) : null;
        var seed = before.ManagedBy == ManagedBy.HeadlessVm ? Parse(name).Metadata?.CloudInitSeed : null;
        _connection.Undefine(name);
        DeleteSeed(name, seed);
        _recorders.Remove(Uri, info.Uuid);
        _bridges.StopIfAny(BridgeNames.Of(Location, name));
        if (serialLog is not null && serialLog == DomainVms.SerialLogPathFor(Uri, name))
        {
            State.PrivateFiles.TryDelete(serialLog);
        }

        return before;
    }

    private void PressPowerButton(string name)
    {
        try
        {
            _connection.Shutdown(name, acpiPowerButton: true);
        }
        catch (HeadlessVmException e) when (e.ErrorId is ErrorIds.LibvirtInvalidArgument or ErrorIds.LibvirtNotSupported)
        {
            _host.Debug($"{HostName} has no ACPI power button for '{name}' ({e.Message}); asking its driver to shut it down.");
            _connection.Shutdown(name, acpiPowerButton: false);
        }
    }

    /// <summary>A stopped VM's bridge stops too.</summary>
    private VmInfo Finish(string name)
    {
        _bridges.StopIfAny(BridgeNames.Of(Location, name));
        return Get(name);
    }

    /// <summary>Those of <paramref name="names"/> that still run, read in one RPC.</summary>
    private HashSet<string> StillRunning(IReadOnlyList<string> names)
    {
        var states = _connection.ListDomains().ToDictionary(d => d.Name, d => d.Status.State, StringComparer.Ordinal);
        return names.Where(n => states.TryGetValue(n, out var s) && s != LibvirtDomainState.Shutoff).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Waits until <paramref name="done"/> or the countdown expires; wakes on any lifecycle event on the connection and at
    /// least once a second. Honours the token. Returns <paramref name="done"/>'s last answer.
    /// </summary>
    private static bool WaitFor(Func<bool> done, DomainLifecycleSubscription events, Countdown countdown, CancellationToken cancellationToken, Func<string?>? status = null)
    {
        while (true)
        {
            if (done())
            {
                return true;
            }

            if (countdown.Expired)
            {
                return false;
            }

            countdown.Tick(status?.Invoke());
            var remaining = countdown.Deadline - DateTime.UtcNow;
            var wait = remaining < TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1);
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    events.Events.WaitToReadAsync(cancellationToken).AsTask().Wait(wait, cancellationToken);
                }
            }
            catch (AggregateException)
            {
                // The subscription ended (the connection closed): the next state read says why.
            }

            while (events.Events.TryRead(out _))
            {
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
