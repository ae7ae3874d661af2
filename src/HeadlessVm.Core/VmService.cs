using System.Security.Cryptography;
using System.Text.Json;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Core;

/// <summary>Something that lives alongside a VM (a console bridge) and must follow it when the VM stops or goes.</summary>
public interface IVmCompanion
{
    void OnVmStopped(string vmName, IVmHost host);
    void OnVmRemoving(string vmName, IVmHost host);
    void Decorate(VmObject vm);
}

/// <summary>What the facts in a VM's folder say about its running qemu.</summary>
internal sealed record RunInfo(AcceleratorKind Accelerator, string Cpu);

/// <summary>The VM lifecycle: create, inspect, start, stop, pause, resume, reset, remove. No PowerShell here.</summary>
public sealed class VmService
{
    private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(5);
    private KvmFailures? _kvmFailures;

    public VmService(StatePaths paths, IVmHost? host = null)
    {
        Store = new VmStore(paths);
        Host = host ?? NullVmHost.Instance;
    }

    public VmStore Store { get; }
    public IVmHost Host { get; }

    /// <summary>KVM failures remembered for this boot, so that Auto goes straight to TCG where KVM is known broken.</summary>
    public KvmFailures KvmFailures => _kvmFailures ??= new KvmFailures(Store.Paths);
    public List<IVmCompanion> Companions { get; } = new();

    /// <summary>Overridable for tests; true when /dev/kvm is usable.</summary>
    public Func<bool> KvmProbe { get; set; } = () => Accelerators.IsKvmUsable(
        Environment.GetEnvironmentVariable("HEADLESSVM_KVM_DEVICE") is { Length: > 0 } device ? device : Accelerators.KvmDevice);

    public VmSpec ValidateDraft(VmSpec draft)
    {
        VmStore.ValidateName(draft.Name);
        if (draft.MemoryMB < 16)
        {
            throw new HeadlessVmException("InvalidMemorySize", FailureKind.InvalidArgument, draft.Name,
                $"VM '{draft.Name}': {draft.MemoryMB} MB of memory is too little; give at least 16.");
        }

        if (draft.ProcessorCount < 1)
        {
            throw new HeadlessVmException("InvalidProcessorCount", FailureKind.InvalidArgument, draft.Name,
                $"VM '{draft.Name}': the processor count must be 1 or more.");
        }

        if (string.IsNullOrWhiteSpace(draft.Architecture) || !draft.Architecture.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new HeadlessVmException("InvalidArchitecture", FailureKind.InvalidArgument, draft.Name,
                $"'{draft.Architecture}' is not an architecture name (such as x86_64 or aarch64).");
        }

        if (draft.InitrdPath is not null && draft.KernelPath is null)
        {
            throw new HeadlessVmException("InitrdWithoutKernel", FailureKind.InvalidArgument, draft.Name,
                $"VM '{draft.Name}': -InitrdPath needs -KernelPath.");
        }

        if (draft.BootOrder is not null && (draft.BootOrder.Length == 0 || draft.BootOrder.Any(c => c is not ('a' or 'b' or 'c' or 'd' or 'n'))))
        {
            throw new HeadlessVmException("InvalidBootOrder", FailureKind.InvalidArgument, draft.Name,
                $"'{draft.BootOrder}' is not a boot order. Use letters c (disk), d (CD-ROM) and n (network), e.g. 'dc'.");
        }

        if (draft.Network == NetworkMode.None && draft.PortForwards.Count > 0)
        {
            throw new HeadlessVmException("PortForwardWithoutNetwork", FailureKind.InvalidArgument, draft.Name,
                $"VM '{draft.Name}' has -Network None, so it cannot forward ports.");
        }

        var dup = draft.PortForwards.GroupBy(p => p.HostPort).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
        {
            throw new HeadlessVmException("DuplicatePortForward", FailureKind.InvalidArgument, draft.Name,
                $"VM '{draft.Name}' forwards host port {dup.Key} twice.");
        }

        return draft with
        {
            IsoPath = draft.IsoPath is null ? null : Path.GetFullPath(draft.IsoPath),
            KernelPath = draft.KernelPath is null ? null : Path.GetFullPath(draft.KernelPath),
            InitrdPath = draft.InitrdPath is null ? null : Path.GetFullPath(draft.InitrdPath),
            Disks = draft.Disks.Select(d => d with { Path = Path.GetFullPath(d.Path) }).ToArray(),
            MacAddress = draft.MacAddress is null ? null : NormaliseMac(draft.Name, draft.MacAddress),
        };
    }

    /// <summary>
    /// Writes a new VM's record (allocating a VNC display unless given) and optionally starts it;
    /// <paramref name="paused"/> starts qemu with its CPUs stopped (qemu -S) until Resume-HeadlessVm.
    /// </summary>
    public VmObject Create(VmSpec draft, int? vncDisplay, bool start, CancellationToken cancellationToken = default, bool paused = false)
    {
        var spec = ValidateDraft(draft);
        using (Store.Lock(cancellationToken))
        {
            if (Store.Exists(spec.Name))
            {
                throw new HeadlessVmException("VmAlreadyExists", FailureKind.ResourceExists, spec.Name,
                    $"A VM named '{spec.Name}' already exists. Choose another name, or remove it first with Remove-HeadlessVm.");
            }

            var others = Store.List();
            var display = vncDisplay ?? AllocateDisplay(spec.ListenAddress, others);
            if (vncDisplay is not null)
            {
                CheckDisplayFree(spec.Name, spec.ListenAddress, display, others, considerStopped: true);
            }

            spec = spec with
            {
                VncDisplay = display,
                MacAddress = spec.MacAddress ?? (spec.Network == NetworkMode.User ? RandomMac() : null),
                Created = DateTimeOffset.Now,
            };

            var paths = Store.Paths.ForVm(spec.Name);
            var tried = new HashSet<int>();
            try
            {
                Store.Save(spec);
                PrivateFiles.WriteAllText(paths.VncPasswordFile, NewVncPassword());
                while (start)
                {
                    try
                    {
                        StartLocked(spec, paused, cancellationToken);
                        break;
                    }
                    catch (NativeCommandException ex) when (vncDisplay is null && ex.ErrorId == "QemuPortInUse"
                        && ex.Message.Contains("-vnc", StringComparison.Ordinal) && tried.Add(spec.VncDisplay) && tried.Count < 5)
                    {
                        // Another program (or another store's VM) took the display this one picked, between the
                        // check and qemu's bind; a display the user did not choose is picked again.
                        var next = AllocateDisplay(spec.ListenAddress, others.Concat(tried.Select(d => spec with { Name = "-", VncDisplay = d })).ToArray());
                        Host.Verbose($"VNC display :{spec.VncDisplay} was taken before qemu could bind it; VM '{spec.Name}' uses :{next} instead.");
                        spec = spec with { VncDisplay = next };
                        Store.Save(spec);
                    }
                }
            }
            catch
            {
                // Nothing half-made stays behind: no record, no folder, no process.
                KillIfOurs(spec, paths);
                Store.Delete(spec.Name);
                throw;
            }
        }

        return Inspect(Store.Get(spec.Name));
    }

    /// <summary>
    /// Every VM with its live state. The VMs are asked concurrently (one QMP connection each, on a few
    /// threads), so listing many VMs costs little more than the slowest answer; what they report for
    /// -Debug is replayed afterwards, in order, on the caller's thread.
    /// </summary>
    public IReadOnlyList<VmObject> List() => Inspect(Store.List());

    /// <summary>These VMs with their live state, asked concurrently as <see cref="List"/> does.</summary>
    public IReadOnlyList<VmObject> Inspect(IReadOnlyList<VmSpec> specs)
    {
        if (specs.Count < 2)
        {
            return specs.Select(s => Inspect(s)).ToArray();
        }

        var results = new VmObject[specs.Count];
        var logs = specs.Select(_ => new BufferedVmHost()).ToArray();
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
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
                    Interlocked.CompareExchange(ref failure, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex), null);
                }
            }
        }

        // Dedicated threads rather than the thread pool: the work is waiting on qemu, and the pool
        // would add threads slowly.
        var workers = Enumerable.Range(0, Math.Min(specs.Count, ListConcurrency) - 1)
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
            log.ReplayTo(Host);
        }

        failure?.Throw();
        return results;
    }

    /// <summary>How many VMs List asks at once.</summary>
    private const int ListConcurrency = 8;

    public VmObject Get(string name) => Inspect(Store.Get(name));

    /// <summary>Starts a stopped VM; <paramref name="paused"/> keeps its CPUs stopped (qemu -S) until Resume-HeadlessVm.</summary>
    public VmObject Start(string name, CancellationToken cancellationToken = default, bool paused = false)
    {
        using (Store.Lock(cancellationToken))
        {
            var spec = Store.Get(name);
            if (FindProcess(spec) is not null)
            {
                Host.Verbose($"VM '{name}' is already running.");
            }
            else
            {
                StartLocked(spec, paused, cancellationToken);
            }

            return Inspect(spec);
        }
    }

    /// <summary>
    /// Asks each guest to power down (ACPI power button), waits up to <paramref name="timeout"/>, then
    /// powers off with a warning; <paramref name="force"/> powers off at once. Cancelling stops the
    /// waiting, never the VMs. Several VMs stop together: every guest gets the power button first, then one wait of
    /// <paramref name="timeout"/> covers them all, so a lab shuts down in the time of its slowest guest,
    /// not the sum. Each VM is reported through <paramref name="stopped"/> or <paramref name="failed"/>.
    /// </summary>
    public void Stop(IReadOnlyList<string> names, TimeSpan timeout, bool force, Action<VmObject> stopped, Action<string, Exception> failed,
        CancellationToken cancellationToken = default)
    {
        var waiting = new List<(VmSpec Spec, VmPaths Paths, int Pid)>();
        foreach (var name in names)
        {
            try
            {
                var spec = Store.Get(name);
                var paths = Store.Paths.ForVm(name);
                var pid = FindProcess(spec);
                if (pid is null)
                {
                    Host.Verbose($"VM '{name}' is not running.");
                    stopped(Finish(spec, paths));
                }
                else if (force)
                {
                    PowerOff(name, paths, pid.Value, cancellationToken);
                    stopped(Finish(spec, paths));
                }
                else
                {
                    PressPowerButton(name, paths, cancellationToken);
                    Host.Verbose($"Sent the ACPI power button to VM '{name}'; waiting up to {timeout.TotalSeconds:0} s for it to power down.");
                    waiting.Add((spec, paths, pid.Value));
                }
            }
            catch (Exception ex) when (ex is HeadlessVmException or QmpException)
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
        foreach (var (spec, paths, pid) in waiting)
        {
            if (ProcessInfo.IsAlive(pid))
            {
                Host.Warning($"VM '{spec.Name}' did not shut down within {timeout.TotalSeconds:0} s of the ACPI power button; powering it off.");
                PowerOff(spec.Name, paths, pid, cancellationToken);
            }

            stopped(Finish(spec, paths));
        }
    }

    private void PressPowerButton(string name, VmPaths paths, CancellationToken cancellationToken)
    {
        using var qmp = ConnectQmp(name, paths, cancellationToken);
        // A paused guest cannot see the power button.
        if (qmp.Execute("query-status")?["status"]?.GetValue<string>() is "paused")
        {
            qmp.Execute("cont");
        }

        qmp.Execute("system_powerdown");
    }

    private VmObject Finish(VmSpec spec, VmPaths paths)
    {
        Cleanup(paths);
        NotifyStopped(spec.Name);
        return Inspect(spec);
    }

    public VmObject Suspend(string name, CancellationToken cancellationToken = default) => Control(name, "stop", cancellationToken);

    public VmObject Resume(string name, CancellationToken cancellationToken = default) => Control(name, "cont", cancellationToken);

    /// <summary>A hard reset, like pressing the reset button; the qemu process and its ports stay.</summary>
    public VmObject Restart(string name, CancellationToken cancellationToken = default) => Control(name, "system_reset", cancellationToken);

    /// <summary>Deletes the VM's record and its folder; never the user's ISO or disk images.</summary>
    public void Remove(string name, bool force, CancellationToken cancellationToken = default)
    {
        var spec = Store.Get(name);
        var paths = Store.Paths.ForVm(name);
        var pid = FindProcess(spec);
        if (pid is not null)
        {
            if (!force)
            {
                throw new HeadlessVmException("VmIsRunning", FailureKind.InvalidOperation, name,
                    $"VM '{name}' is running. Stop it first, or use -Force to power it off and remove it.");
            }

            PowerOff(name, paths, pid.Value, cancellationToken);
            NotifyStopped(name);
        }

        foreach (var companion in Companions)
        {
            companion.OnVmRemoving(name, Host);
        }

        Store.Delete(name);
    }

    /// <summary>Connects to a running VM's QMP socket; the caller disposes it.</summary>
    public QmpClient ConnectQmp(string name, CancellationToken cancellationToken = default)
    {
        var spec = Store.Get(name);
        if (FindProcess(spec) is null)
        {
            throw NotRunning(name);
        }

        return ConnectQmp(name, Store.Paths.ForVm(name), cancellationToken);
    }

    /// <summary>Joins a record with what the system says now: is its qemu alive, and what does QMP report.</summary>
    public VmObject Inspect(VmSpec spec) => Inspect(spec, Host);

    private VmObject Inspect(VmSpec spec, IVmHost host)
    {
        var paths = Store.Paths.ForVm(spec.Name);
        var pid = FindProcess(spec);
        var run = pid is null ? null : ReadRunInfo(paths);
        VmState state;
        if (pid is null)
        {
            state = VmState.Stopped;
        }
        else
        {
            try
            {
                state = MapStatus(QmpClient.QueryStatus(paths.QmpSocket, TimeSpan.FromSeconds(3), host.Debug));
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException or QmpException or JsonException)
            {
                host.Debug($"VM '{spec.Name}': QMP did not answer: {ex.Message}");
                state = VmState.Unresponsive;
            }
        }

        var accel = run?.Accelerator ?? spec.Accelerator;
        var cpu = run?.Cpu ?? spec.Cpu ?? (spec.Accelerator == AcceleratorKind.Auto ? "(auto)" : Accelerators.DefaultCpu(spec.Accelerator));
        var vm = new VmObject(spec, state, pid, accel, cpu, pid is null ? null : ProcessInfo.Uptime(pid.Value), paths.Folder);
        foreach (var companion in Companions)
        {
            companion.Decorate(vm);
        }

        return vm;
    }

    /// <summary>
    /// The PID of this VM's qemu, or null. The pidfile alone is not trusted: the process must be alive
    /// and its command line must name this VM's own QMP socket, since PIDs are reused.
    /// </summary>
    public int? FindProcess(VmSpec spec)
    {
        var paths = Store.Paths.ForVm(spec.Name);
        if (!File.Exists(paths.PidFile))
        {
            return null;
        }

        if (!int.TryParse(PrivateFiles.TryReadAllText(paths.PidFile)?.Trim(), out var pid) || !ProcessInfo.IsAlive(pid))
        {
            return null;
        }

        var argv = ProcessInfo.CommandLine(pid);
        var marker = $"path={QemuArgumentBuilder.Escape(paths.QmpSocket)},";
        return argv is not null && argv.Any(a => a.Contains(marker, StringComparison.Ordinal)) ? pid : null;
    }

    public string ReadVncPassword(string name)
    {
        var paths = Store.Paths.ForVm(name);
        return PrivateFiles.TryReadAllText(paths.VncPasswordFile)?.Trim() ?? string.Empty;
    }

    private VmObject Control(string name, string command, CancellationToken cancellationToken)
    {
        var spec = Store.Get(name);
        if (FindProcess(spec) is null)
        {
            throw NotRunning(name);
        }

        using (var qmp = ConnectQmp(name, Store.Paths.ForVm(name), cancellationToken))
        {
            qmp.Execute(command);
        }

        return Inspect(spec);
    }

    private static HeadlessVmException NotRunning(string name) => new("VmNotRunning", FailureKind.InvalidOperation, name,
        $"VM '{name}' is not running. Start it with Start-HeadlessVm.");

    private void StartLocked(VmSpec spec, bool paused, CancellationToken cancellationToken)
    {
        var paths = Store.Paths.ForVm(spec.Name);
        if (paths.QmpSocket.Length > 107)
        {
            throw new HeadlessVmException("StatePathTooLong", FailureKind.InvalidArgument, spec.Name,
                $"The VM's control socket path '{paths.QmpSocket}' is longer than the 107 characters a unix socket allows. " +
                "Use a shorter name or set HEADLESSVM_HOME to a shorter folder.");
        }

        var program = QemuArgumentBuilder.ProgramFor(spec.Architecture);
        var programPath = NativeRunner.FindExecutable(program);
        if (programPath is null)
        {
            throw new HeadlessVmException("QemuNotInstalled", FailureKind.NotInstalled, spec.Name,
                $"{program} is not installed, so VM '{spec.Name}' ({spec.Architecture}) cannot start. On Debian: apt-get install qemu-system-{PackageFamily(spec.Architecture)}.");
        }

        var kvmUsable = KvmProbe();
        AcceleratorKind accel;
        if (kvmUsable && spec.Accelerator == AcceleratorKind.Auto && KvmFailures.Find(programPath) is { } failed)
        {
            // KVM already failed for this qemu on this boot: Auto does not pay for a failed start again.
            Host.Warning($"KVM failed for {program} earlier on this boot ({failed.Reason}); VM '{spec.Name}' runs under TCG software emulation instead, which is much slower.");
            accel = AcceleratorKind.Tcg;
        }
        else
        {
            accel = Accelerators.Resolve(spec.Accelerator, spec.Name, kvmUsable, Host.Warning);
        }
        var others = Store.List().Where(o => o.Name != spec.Name).ToArray();
        CheckDisplayFree(spec.Name, spec.ListenAddress, spec.VncDisplay, others, considerStopped: false);
        foreach (var forward in spec.PortForwards)
        {
            if (!Ports.IsFree(forward.HostAddress, forward.HostPort))
            {
                throw new HeadlessVmException("PortForwardInUse", FailureKind.ResourceUnavailable, spec.Name,
                    $"VM '{spec.Name}' cannot forward {forward}: port {forward.HostPort} on {forward.HostAddress} is already in use.");
            }
        }

        Cleanup(paths);
        if (File.Exists(paths.SerialLog))
        {
            File.Move(paths.SerialLog, paths.PreviousSerialLog, overwrite: true);
        }

        PrivateFiles.EnsureFolder(paths.Folder);
        var cpu = spec.Cpu ?? Accelerators.DefaultCpu(accel);
        var command = QemuArgumentBuilder.Build(spec, paths, accel, cpu, paused);
        Host.Verbose("Running: " + command.Display);
        var result = NativeRunner.Run(command, cancellationToken, paths.Folder);
        if (result.ExitCode != 0 && spec.Accelerator == AcceleratorKind.Auto && accel == AcceleratorKind.Kvm
            && result.StandardError.Contains("kvm", StringComparison.OrdinalIgnoreCase))
        {
            // /dev/kvm can open and still fail (nested or restricted virtualisation); Auto means "KVM
            // when it works", so fall back to TCG rather than fail.
            KillIfOurs(spec, paths);
            Cleanup(paths);
            Host.Warning($"KVM failed for VM '{spec.Name}' ({FirstLine(result.StandardError)}); it runs under TCG software emulation instead, which is much slower.");
            KvmFailures.Remember(programPath, FirstLine(result.StandardError));
            accel = AcceleratorKind.Tcg;
            cpu = spec.Cpu ?? Accelerators.DefaultCpu(accel);
            command = QemuArgumentBuilder.Build(spec, paths, accel, cpu, paused);
            Host.Verbose("Running: " + command.Display);
            result = NativeRunner.Run(command, cancellationToken, paths.Folder);
        }

        if (result.ExitCode != 0)
        {
            KillIfOurs(spec, paths);
            Cleanup(paths);
            throw ClassifyQemuFailure(spec.Name, command, result);
        }

        try
        {
            var pid = WaitForPid(spec, paths, cancellationToken);
            var password = ReadVncPassword(spec.Name);
            if (password.Length == 0)
            {
                password = NewVncPassword();
                PrivateFiles.WriteAllText(paths.VncPasswordFile, password);
            }

            try
            {
                QmpClient.ExecuteOnce(paths.QmpSocket, QmpTimeout, Host.Debug, cancellationToken, "set_password", new { protocol = "vnc", password });
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                throw new HeadlessVmException("QmpUnavailable", FailureKind.ConnectionError, spec.Name,
                    $"Cannot talk to VM '{spec.Name}' over its QMP socket {paths.QmpSocket}: {ex.Message}", ex);
            }

            PrivateFiles.WriteRuntimeText(paths.RunFile, JsonSerializer.Serialize(new RunInfo(accel, cpu), VmStore.Json));
            Host.Verbose($"VM '{spec.Name}' started: PID {pid}, {accel}, VNC {spec.ListenAddress}:{spec.VncPort}.");
        }
        catch
        {
            KillIfOurs(spec, paths);
            Cleanup(paths);
            throw;
        }
    }

    private int WaitForPid(VmSpec spec, VmPaths paths, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var pause = new Backoff();
        while (true)
        {
            var pid = FindProcess(spec);
            if (pid is not null)
            {
                return pid.Value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new HeadlessVmException("QemuExitedEarly", FailureKind.InvalidOperation, spec.Name,
                    $"qemu reported that VM '{spec.Name}' started, but no live qemu process was found for it." + Guest.SerialLog.LastLinesForMessage(paths.SerialLog));
            }

            pause.Wait(cancellationToken);
        }
    }

    private static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();

    private QmpClient ConnectQmp(string name, VmPaths paths, CancellationToken cancellationToken)
    {
        try
        {
            return QmpClient.Connect(paths.QmpSocket, QmpTimeout, Host.Debug, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new HeadlessVmException("QmpUnavailable", FailureKind.ConnectionError, name,
                $"Cannot talk to VM '{name}' over its QMP socket {paths.QmpSocket}: {ex.Message}", ex);
        }
    }

    private void PowerOff(string name, VmPaths paths, int pid, CancellationToken cancellationToken)
    {
        try
        {
            using var qmp = QmpClient.Connect(paths.QmpSocket, TimeSpan.FromSeconds(2), Host.Debug, cancellationToken);
            qmp.Execute("quit");
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException or QmpException)
        {
            Host.Verbose($"VM '{name}': QMP quit failed ({ex.Message}); signalling qemu.");
        }

        if (ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(5), cancellationToken))
        {
            return;
        }

        Host.Verbose($"VM '{name}': sending SIGTERM to qemu (PID {pid}).");
        ProcessInfo.Signal(pid, ProcessInfo.SIGTERM);
        if (ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(5), cancellationToken))
        {
            return;
        }

        Host.Verbose($"VM '{name}': sending SIGKILL to qemu (PID {pid}).");
        ProcessInfo.Signal(pid, ProcessInfo.SIGKILL);
        ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(5), cancellationToken);
    }

    /// <summary>Waits until every process has exited or the timeout passes, with a countdown.</summary>
    private void WaitForExits(IReadOnlyList<int> pids, TimeSpan timeout, string activity, CancellationToken cancellationToken)
    {
        var status = pids.Count == 1 ? "Waiting for the guest to shut down" : "Waiting for the guests to shut down";
        using var countdown = new Countdown(Host, activity, status, DateTime.UtcNow + timeout);
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

    private void KillIfOurs(VmSpec spec, VmPaths paths)
    {
        var pid = FindProcess(spec);
        if (pid is not null)
        {
            ProcessInfo.Signal(pid.Value, ProcessInfo.SIGKILL);
            ProcessInfo.WaitForExit(pid.Value, TimeSpan.FromSeconds(5));
        }
    }

    private void NotifyStopped(string name)
    {
        foreach (var companion in Companions)
        {
            companion.OnVmStopped(name, Host);
        }
    }

    private static void Cleanup(VmPaths paths)
    {
        foreach (var file in new[] { paths.PidFile, paths.QmpSocket, paths.RunFile })
        {
            PrivateFiles.TryDelete(file);
        }
    }

    private static RunInfo? ReadRunInfo(VmPaths paths)
    {
        try
        {
            var text = PrivateFiles.TryReadAllText(paths.RunFile);
            return text is null ? null : JsonSerializer.Deserialize<RunInfo>(text, VmStore.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static VmState MapStatus(string? status) => status switch
    {
        "running" => VmState.Running,
        // prelaunch: started with -S (New-HeadlessVm -Paused), CPUs not yet run.
        "paused" or "suspended" or "prelaunch" => VmState.Paused,
        "internal-error" or "io-error" or "guest-panicked" or "shutdown" or "watchdog" => VmState.Crashed,
        _ => VmState.Other,
    };

    private int AllocateDisplay(string address, IReadOnlyList<VmSpec> others)
    {
        var taken = others.Select(o => o.VncDisplay).ToHashSet();
        for (var display = 1; display < 100; display++)
        {
            if (!taken.Contains(display) && Ports.IsFree(address, 5900 + display))
            {
                return display;
            }
        }

        throw new HeadlessVmException("NoFreeVncDisplay", FailureKind.ResourceUnavailable, null,
            "No free VNC display between :1 and :99 (ports 5901-5999). Remove unused VMs or pass -VncDisplay.");
    }

    private void CheckDisplayFree(string name, string address, int display, IReadOnlyList<VmSpec> others, bool considerStopped)
    {
        if (display is < 0 or > 59635)
        {
            throw new HeadlessVmException("InvalidVncDisplay", FailureKind.InvalidArgument, name,
                $"VNC display {display} is out of range (0 to 59635, port 5900+N).");
        }

        foreach (var other in others.Where(o => o.VncDisplay == display))
        {
            if (considerStopped || FindProcess(other) is not null)
            {
                throw new HeadlessVmException("VncDisplayInUse", FailureKind.ResourceExists, name,
                    $"VNC display :{display} (port {5900 + display}) is already assigned to VM '{other.Name}'. Choose another -VncDisplay, or leave it out to get a free one.");
            }
        }

        if (!Ports.IsFree(address, 5900 + display))
        {
            throw new HeadlessVmException("VncPortInUse", FailureKind.ResourceUnavailable, name,
                $"VNC display :{display} needs port {5900 + display} on {address}, which another program is using.");
        }
    }

    private static HeadlessVmException ClassifyQemuFailure(string name, NativeCommand command, NativeResult result)
    {
        var message = result.StandardError.Trim();
        if (message.Length == 0)
        {
            message = result.StandardOutput.Trim();
        }

        var (id, kind) = message switch
        {
            _ when message.Contains("CPU model", StringComparison.OrdinalIgnoreCase) => ("QemuUnknownCpuModel", FailureKind.InvalidArgument),
            _ when message.Contains("No such file", StringComparison.OrdinalIgnoreCase) => ("QemuFileNotFound", FailureKind.ObjectNotFound),
            _ when message.Contains("Permission denied", StringComparison.OrdinalIgnoreCase) => ("QemuPermissionDenied", FailureKind.PermissionDenied),
            _ when message.Contains("Address already in use", StringComparison.OrdinalIgnoreCase)
                || message.Contains("available port", StringComparison.OrdinalIgnoreCase)
                || message.Contains("host forwarding", StringComparison.OrdinalIgnoreCase) => ("QemuPortInUse", FailureKind.ResourceUnavailable),
            _ when message.Contains("Could not open", StringComparison.OrdinalIgnoreCase) => ("QemuCannotOpenFile", FailureKind.ObjectNotFound),
            _ => ("QemuStartFailed", FailureKind.InvalidArgument),
        };
        return new NativeCommandException(id, kind, name, $"qemu refused to start VM '{name}': {message}",
            command.Program, result.ExitCode, result.StandardError);
    }

    private static string PackageFamily(string architecture) => architecture switch
    {
        "x86_64" or "i386" => "x86",
        "aarch64" or "arm" => "arm",
        "ppc64" or "ppc" => "ppc",
        "riscv64" or "riscv32" => "misc",
        _ => "misc",
    };

    private static string NewVncPassword()
    {
        // VNC authentication uses at most 8 characters of the password.
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        return string.Create(8, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }

    private static string RandomMac()
    {
        Span<byte> b = stackalloc byte[3];
        RandomNumberGenerator.Fill(b);
        return $"52:54:00:{b[0]:x2}:{b[1]:x2}:{b[2]:x2}";
    }

    private static string NormaliseMac(string name, string mac)
    {
        var normal = mac.Trim().Replace('-', ':').ToLowerInvariant();
        if (!System.Text.RegularExpressions.Regex.IsMatch(normal, "^([0-9a-f]{2}:){5}[0-9a-f]{2}$") ||
            (Convert.ToInt32(normal[..2], 16) & 1) == 1)
        {
            throw new HeadlessVmException("InvalidMacAddress", FailureKind.InvalidArgument, name,
                $"'{mac}' is not a unicast MAC address such as 52:54:00:12:34:56.");
        }

        return normal;
    }
}
