using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Qemu;

/// <summary>
/// Starts a store VM's qemu: checks what qemu would only fail on later (socket path, program, ports),
/// chooses the accelerator (Auto: KVM when usable and not known to fail on this boot, else TCG, and TCG
/// again when KVM fails), runs qemu daemonized, then sets the VNC password over QMP and records the run
/// (run.json, last). A start that fails or is cancelled (Ctrl+C) leaves no process and no run files; one
/// whose process was killed half way (kill -9 of pwsh) is finished or undone by the next command that
/// looks at the VM (<see cref="Settle"/>). Called under the store lock.
/// </summary>
public sealed class QemuLauncher
{
    /// <summary>The longest unix socket path, in bytes: sun_path holds 108 bytes with its NUL (unix(7), struct sockaddr_un).</summary>
    public const int SocketPathLimit = 107;

    /// <summary>How many displays a start tries when other programs keep taking the one the module picked.</summary>
    private const int DisplayAttempts = 5;

    private static readonly TimeSpan PidWait = TimeSpan.FromSeconds(10);

    private readonly VmStore _store;
    private readonly DisplayAllocator _displays;
    private readonly KvmFailures _kvmFailures;
    private readonly VmMonitor _monitor;
    private readonly Func<bool> _kvmProbe;
    private readonly IVmHost _host;
    private readonly DiskHolders _diskHolders;

    /// <param name="kvmProbe">True when /dev/kvm can be used; <see cref="ProbeKvm"/> in the module.</param>
    public QemuLauncher(VmStore store, DisplayAllocator displays, KvmFailures kvmFailures, VmMonitor monitor, Func<bool> kvmProbe, IVmHost host, DiskHolders diskHolders)
    {
        _diskHolders = diskHolders;
        _store = store;
        _displays = displays;
        _kvmFailures = kvmFailures;
        _monitor = monitor;
        _kvmProbe = kvmProbe;
        _host = host;
    }

    /// <summary>True when the KVM device ($HEADLESSVM_KVM_DEVICE, else /dev/kvm) opens for reading and writing.</summary>
    public static bool ProbeKvm() => ProbeKvm(null);

    /// <summary>
    /// As <see cref="ProbeKvm()"/>; a relative HEADLESSVM_KVM_DEVICE is resolved by <paramref name="resolve"/>
    /// (the cmdlets: against PowerShell's current location), and is not usable without one.
    /// </summary>
    public static bool ProbeKvm(Func<string, string>? resolve)
    {
        var device = Environment.GetEnvironmentVariable("HEADLESSVM_KVM_DEVICE") is { Length: > 0 } set ? set : Accelerators.KvmDevice;
        if (!Path.IsPathRooted(device))
        {
            if (resolve is null)
            {
                return false;
            }

            device = resolve(device);
        }

        return Accelerators.IsKvmUsable(device);
    }

    /// <summary>
    /// Starts a stopped VM (a new one, or one started again). When the module picked its display
    /// (<see cref="VmSpec.VncDisplayPicked"/>) and another program holds that display's port, found by the
    /// check before qemu runs (VncPortInUse) or by qemu's own bind, another free display is picked (not one of
    /// <paramref name="others"/>'), saved in vm.json, reported through Verbose, and qemu runs again (at most
    /// <see cref="DisplayAttempts"/> displays). A display the user chose is never moved: its start fails with
    /// VncPortInUse. Any other failure is thrown as it is, once. Returns the spec as it started.
    /// </summary>
    public VmSpec StartMovingPickedDisplay(VmSpec spec, IReadOnlyList<VmSpec> others, bool paused, CancellationToken cancellationToken)
    {
        var tried = new HashSet<int>();
        while (true)
        {
            try
            {
                Start(spec, paused, cancellationToken);
                return spec;
            }
            catch (HeadlessVmException ex) when (spec.VncDisplayPicked && IsDisplayTaken(ex) && tried.Add(spec.VncDisplay) && tried.Count < DisplayAttempts)
            {
                var next = _displays.Pick(spec.Name, spec.ListenAddress, others.Select(o => o.VncDisplay).Concat(tried));
                _host.Verbose($"VNC display :{spec.VncDisplay} is taken by another program; VM '{spec.Name}' uses :{next} instead.");
                spec = spec with { VncDisplay = next };
                _store.Save(spec);
            }
        }
    }

    /// <summary>The display's port was taken by another program: by the time of the check (VncPortInUse) or of qemu's bind.</summary>
    private static bool IsDisplayTaken(HeadlessVmException ex) =>
        ex.ErrorId == ErrorIds.VncPortInUse || (ex is NativeCommandException native && QemuFailures.IsVncPortTaken(native));

    /// <summary>Starts the VM's qemu; <paramref name="paused"/> keeps its CPUs stopped (qemu -S).</summary>
    public void Start(VmSpec spec, bool paused, CancellationToken cancellationToken)
    {
        var vm = _store.Paths.ForVm(spec.Name);
        // The kernel counts bytes: a non-ASCII folder name takes two to four per character.
        var socketBytes = System.Text.Encoding.UTF8.GetByteCount(vm.QmpSocket);
        if (socketBytes > SocketPathLimit)
        {
            throw HeadlessVmErrors.StatePathTooLong(spec.Name, vm.QmpSocket, socketBytes, SocketPathLimit);
        }

        var program = QemuArgumentBuilder.ProgramFor(spec.Architecture);
        var programPath = NativeRunner.FindExecutable(program)
            ?? throw HeadlessVmErrors.QemuNotInstalled(spec.Name, program, spec.Architecture, QemuFailures.DebianPackage(spec.Architecture));
        // The TCG warning waits for the start to succeed: before a start that then fails, it is noise.
        var tcgWarnings = new List<string>();
        var accel = ChooseAccelerator(spec, program, programPath, tcgWarnings.Add);
        var others = _store.List().Where(o => o.Name != spec.Name).ToArray();
        _displays.CheckFree(spec.Name, spec.ListenAddress, spec.VncDisplay, others, considerStopped: false);
        // A port or disk that another VM of this store holds is reported with that VM's name, not as qemu's failure.
        var running = new Lazy<VmSpec[]>(() => others.Where(o => QemuProcess.Find(_store.Paths.ForVm(o.Name)) is not null).ToArray());
        foreach (var forward in spec.PortForwards)
        {
            if (!Ports.IsFree(forward.HostAddress, forward.HostPort))
            {
                throw HeadlessVmErrors.PortForwardInUse(spec.Name, forward, SharedResources.ForwardHolder(forward, running.Value)?.Name);
            }
        }

        _diskHolders.Check(spec, DiskAccess.Start, "start", cancellationToken);

        QemuProcess.ForgetRun(vm);
        PrivateFiles.EnsureFolder(vm.Folder);
        SerialLog.StartNewBoot(vm.SerialLog, vm.PreviousSerialLog, vm.BootMarkFile);
        try
        {
            var cpu = spec.Cpu ?? Accelerators.DefaultCpu(accel);
            var (command, result) = Run(spec, vm, accel, cpu, paused, cancellationToken);
            if (result.ExitCode != 0 && spec.Accelerator == AcceleratorKind.Auto && accel == AcceleratorKind.Kvm && QemuFailures.BlamesKvm(result))
            {
                // /dev/kvm can open and still fail (nested or restricted virtualisation); Auto means "KVM
                // when it works", so fall back to TCG rather than fail.
                QemuProcess.Kill(vm);
                QemuProcess.ForgetRun(vm);
                var reason = QemuFailures.FirstLine(result.StandardError);
                tcgWarnings.Add($"KVM failed for VM '{spec.Name}' ({reason}); it runs under TCG software emulation instead, which is much slower.");
                _kvmFailures.Remember(programPath, reason);
                accel = AcceleratorKind.Tcg;
                cpu = spec.Cpu ?? Accelerators.DefaultCpu(accel);
                (command, result) = Run(spec, vm, accel, cpu, paused, cancellationToken);
            }

            if (result.ExitCode != 0)
            {
                throw QemuFailures.Classify(spec.Name, command, result);
            }

            var pid = WaitForPid(spec, vm, cancellationToken);
            // qemu binds its QMP socket under its own umask (027 once daemonized: group may connect). Nothing else can
            // reach it meanwhile: the VM's folder is 0700, so no other user gets through to the socket before this chmod,
            // which keeps it 0600 should the folder's mode ever be opened up.
            PrivateFiles.MakePrivate(vm.QmpSocket);
            SetVncPassword(spec.Name, vm, cancellationToken);
            // Last: a live qemu with a run.json is a finished start (Settle relies on it).
            new RunRecord(accel, cpu).Write(vm);
            tcgWarnings.ForEach(_host.Warning);
            _host.Verbose($"VM '{spec.Name}' started: PID {pid}, {accel}, VNC {spec.ListenAddress}:{spec.VncPort}.");
        }
        catch
        {
            // Whatever stopped the start (qemu's refusal, a timeout, Ctrl+C while qemu was daemonizing or
            // before its password was set), no qemu is left running without its console password.
            QemuProcess.Kill(vm);
            QemuProcess.ForgetRun(vm);
            throw;
        }
    }

    /// <summary>
    /// True when the VM's qemu runs but its start never finished: no sound run.json, or no sound VNC
    /// password, because the command that started it was killed (or its disk filled) half way. Such a
    /// VM's console would refuse every password. Cheap: reads two small files of a running VM.
    /// </summary>
    public bool IsHalfStarted(VmSpec spec)
    {
        var vm = _store.Paths.ForVm(spec.Name);
        return QemuProcess.Find(vm) is not null && (RunRecord.Read(vm).Value is null || VmSecrets.ReadVncPasswordRecord(vm).Value is null);
    }

    /// <summary>
    /// Finishes a start that another command left half done (<see cref="IsHalfStarted"/>): sets the VNC
    /// password over QMP (a new one if the file lost it) and writes run.json from the accelerator and CPU
    /// on qemu's own command line. When qemu does not let that happen, it is powered off instead: a VM is
    /// either reachable or stopped, never running behind a console that refuses every password. Call it
    /// under the store lock, so that a start still in progress in another process is not taken for an
    /// abandoned one. Warns what it did.
    /// </summary>
    public void Settle(VmSpec spec, CancellationToken cancellationToken)
    {
        if (!IsHalfStarted(spec))
        {
            return;
        }

        var vm = _store.Paths.ForVm(spec.Name);
        var pid = QemuProcess.Find(vm)!.Value;
        try
        {
            var argv = ProcessInfo.CommandLine(pid) ?? Array.Empty<string>();
            var accel = ArgumentAfter(argv, "-accel") == "kvm" ? AcceleratorKind.Kvm : AcceleratorKind.Tcg;
            var cpu = ArgumentAfter(argv, "-cpu") ?? spec.Cpu ?? Accelerators.DefaultCpu(accel);
            PrivateFiles.MakePrivate(vm.QmpSocket);
            SetVncPassword(spec.Name, vm, cancellationToken);
            new RunRecord(accel, cpu).Write(vm);
            _host.Warning($"VM '{spec.Name}' (qemu PID {pid}) was started by a command that did not finish; its start is now complete (console password set).");
        }
        catch (Exception ex) when (ex is HeadlessVmException or StateWriteException)
        {
            _host.Warning($"VM '{spec.Name}' (qemu PID {pid}) was started by a command that did not finish, and its start cannot be completed ({ex.Message}); it is powered off.");
            QemuProcess.Kill(vm);
            QemuProcess.ForgetRun(vm);
        }
    }

    private static string? ArgumentAfter(IReadOnlyList<string> argv, string option)
    {
        for (var i = 0; i + 1 < argv.Count; i++)
        {
            if (argv[i] == option)
            {
                return argv[i + 1];
            }
        }

        return null;
    }

    private AcceleratorKind ChooseAccelerator(VmSpec spec, string program, string programPath, Action<string> warn)
    {
        var kvmUsable = _kvmProbe();
        if (kvmUsable && spec.Accelerator == AcceleratorKind.Auto && _kvmFailures.Find(programPath) is { } failed)
        {
            // KVM already failed for this qemu on this boot: Auto does not pay for a failed start again.
            warn($"KVM failed for {program} earlier on this boot ({failed.Reason}); VM '{spec.Name}' runs under TCG software emulation instead, which is much slower.");
            return AcceleratorKind.Tcg;
        }

        return Accelerators.Resolve(spec.Accelerator, spec.Name, kvmUsable, warn);
    }

    private (NativeCommand, NativeResult) Run(VmSpec spec, StatePaths.VmFiles vm, AcceleratorKind accel, string cpu, bool paused, CancellationToken cancellationToken)
    {
        var command = QemuArgumentBuilder.Build(spec, vm, accel, cpu, paused);
        _host.Verbose("Running: " + command.Display);
        return (command, NativeRunner.Run(command, cancellationToken, vm.Folder));
    }

    /// <summary>qemu writes its pidfile before it detaches, but the process is checked, not the file.</summary>
    private static int WaitForPid(VmSpec spec, StatePaths.VmFiles vm, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + PidWait;
        var pause = new Backoff();
        while (true)
        {
            if (QemuProcess.Find(vm) is { } pid)
            {
                return pid;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw HeadlessVmErrors.QemuExitedEarly(spec.Name, SerialLog.LastLinesForMessage(vm.SerialLog, vm.BootMarkFile));
            }

            pause.Wait(cancellationToken);
        }
    }

    /// <summary>The VNC password goes over QMP (set_password), never on qemu's command line; one is made if the file lost it.</summary>
    private void SetVncPassword(string name, StatePaths.VmFiles vm, CancellationToken cancellationToken)
    {
        var password = VmSecrets.ReadVncPassword(vm);
        if (password.Length == 0)
        {
            // Missing or damaged: a new one, since the old one can no longer be known.
            password = VmSecrets.NewVncPassword();
            VmSecrets.WriteVncPassword(vm, password);
        }

        _monitor.ExecuteOnce(name, vm, "set_password", new { protocol = "vnc", password }, cancellationToken);
    }
}
