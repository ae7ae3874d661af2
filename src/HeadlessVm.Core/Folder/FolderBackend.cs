using System.Net;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Folder;

/// <summary>
/// The VMs of the state store: one folder per VM (<see cref="StatePaths"/>), each run as a daemonized
/// qemu on this machine, controlled over its QMP socket. Needs no daemon of its own; any process that
/// uses the same store finds and controls the same VMs.
/// </summary>
public sealed class FolderBackend : IVmBackend
{
    private readonly VmStore _store;
    private readonly DisplayAllocator _displays;
    private readonly QemuLauncher _launcher;
    private readonly VmInspector _inspector;
    private readonly PowerControl _power;
    private readonly GuestConsole _guest;
    private readonly Screenshots _screenshots;
    private readonly Checkpoints _checkpoints;
    private readonly VmSettings _settings;
    private readonly VmCopies _copies;
    private readonly IVmHost _host;

    public FolderBackend(VmStore store, DisplayAllocator displays, QemuLauncher launcher, VmInspector inspector, PowerControl power,
        GuestConsole guest, Screenshots screenshots, Checkpoints checkpoints, VmSettings settings,
        VmCopies copies, IVmHost host)
    {
        _store = store;
        _displays = displays;
        _launcher = launcher;
        _inspector = inspector;
        _power = power;
        _guest = guest;
        _screenshots = screenshots;
        _checkpoints = checkpoints;
        _settings = settings;
        _copies = copies;
        _host = host;
    }

    public HostTarget Location => HostTarget.Local;

    public IReadOnlyList<string> Names() => _store.Names();

    public bool Exists(string name) => _store.Exists(name);

    /// <summary>
    /// These VMs with their live state; a VM whose record is damaged is reported to <paramref name="failed"/>
    /// (VmRecordDamaged) and the others are still listed. A start that another command left half done is
    /// finished (or undone) first.
    /// </summary>
    /// <summary>These VMs with their live state; the first damaged record is thrown (VmRecordDamaged) after all are read.</summary>
    public IReadOnlyList<VmInfo> Inspect(IReadOnlyList<string> names)
    {
        Exception? first = null;
        var vms = Inspect(names, (_, ex) => first ??= ex);
        return first is null ? vms : throw first;
    }

    public IReadOnlyList<VmInfo> Inspect(IReadOnlyList<string> names, Action<string, Exception> failed)
    {
        var specs = new List<VmSpec>();
        foreach (var name in names)
        {
            try
            {
                if (_store.Find(name) is { } spec)
                {
                    specs.Add(spec);
                }
            }
            catch (HeadlessVmException ex)
            {
                failed(name, ex);
            }
        }

        Settle(specs, CancellationToken.None);
        return _inspector.Inspect(specs);
    }

    public VmInfo Get(string name)
    {
        var spec = _store.Get(name);
        Settle(new[] { spec }, CancellationToken.None);
        return _inspector.Inspect(spec);
    }

    /// <summary>
    /// Writes a new VM's record, password and (unless given) a free VNC display under the store lock,
    /// then starts it when asked. Nothing half-made stays behind: no record, no folder, no process.
    /// </summary>
    public VmInfo Create(VmSpec draft, int? vncDisplay, bool start, bool paused, CancellationToken cancellationToken)
    {
        var spec = VmDraftValidator.Validate(draft);
        using (_store.Lock(cancellationToken))
        {
            if (_store.Exists(spec.Name))
            {
                throw HeadlessVmErrors.VmAlreadyExists(spec.Name);
            }

            // Names are matched exactly, but two VMs whose names differ only in case (web1, WEB1) are a
            // typing slip waiting to stop the wrong one, and PowerShell users expect names to ignore case.
            if (_store.Names().FirstOrDefault(n => string.Equals(n, spec.Name, StringComparison.OrdinalIgnoreCase)) is { } existing)
            {
                throw HeadlessVmErrors.VmAlreadyExists(spec.Name, existing);
            }

            var others = _store.List();
            var display = vncDisplay ?? _displays.Pick(spec.Name, spec.ListenAddress, others.Select(o => o.VncDisplay));
            if (vncDisplay is not null)
            {
                _displays.CheckFree(spec.Name, spec.ListenAddress, display, others, considerStopped: true);
            }

            foreach (var warning in SharedResources.Warnings(spec, others))
            {
                _host.Warning(warning);
            }

            spec = spec with
            {
                VncDisplay = display,
                VncDisplayPicked = vncDisplay is null,
                MacAddress = spec.MacAddress ?? (spec.Network == NetworkMode.User ? VmSecrets.RandomMac() : null),
                MacAddressGenerated = spec.MacAddress is null && spec.Network == NetworkMode.User,
                Created = DateTimeOffset.Now,
            };

            var vm = _store.Paths.ForVm(spec.Name);
            try
            {
                _store.Save(spec);
                VmSecrets.WriteVncPassword(vm, VmSecrets.NewVncPassword());
                if (spec.CloudInit is not null)
                {
                    CloudInit.CloudInitSeeds.Write(spec.Name, vm, spec.CloudInit, _host, cancellationToken);
                }

                if (start)
                {
                    spec = _launcher.StartMovingPickedDisplay(spec, others, paused, cancellationToken);
                }
            }
            catch
            {
                QemuProcess.Kill(vm);
                // Best effort: on a full or read-only disk the delete may fail too, and the first failure is the one to report.
                _store.TryDelete(spec.Name);
                throw;
            }
        }

        return Get(spec.Name);
    }

    public VmInfo Start(string name, bool paused, CancellationToken cancellationToken)
    {
        using (_store.Lock(cancellationToken))
        {
            var spec = _store.Get(name);
            // A qemu left running by a start that was killed half way is finished here, or powered off and started anew.
            _launcher.Settle(spec, cancellationToken);
            if (QemuProcess.Find(_store.Paths.ForVm(name)) is not null)
            {
                _host.Verbose($"VM '{name}' is already running.");
            }
            else
            {
                spec = _launcher.StartMovingPickedDisplay(spec, _store.List().Where(o => o.Name != name).ToArray(), paused, cancellationToken);
            }

            return _inspector.Inspect(spec);
        }
    }

    public void Stop(IReadOnlyList<string> names, TimeSpan timeout, bool force, Action<VmInfo> stopped, Action<string, Exception> failed, CancellationToken cancellationToken) =>
        _power.Stop(names, timeout, force, stopped, failed, cancellationToken);

    public VmInfo Suspend(string name, CancellationToken cancellationToken) => _power.Suspend(name, cancellationToken);

    public VmInfo Resume(string name, CancellationToken cancellationToken) => _power.Resume(name, cancellationToken);

    public VmInfo Restart(string name, CancellationToken cancellationToken) => _power.Restart(name, cancellationToken);

    public VmInfo? Remove(string name, bool force, CancellationToken cancellationToken) => _power.Remove(name, force, cancellationToken);

    public FileInfo SaveScreenshot(string name, string path, CancellationToken cancellationToken) => _screenshots.Save(name, path, cancellationToken);

    public void SendKeys(string name, IReadOnlyList<KeyCombination> keys, int holdTimeMs, CancellationToken cancellationToken) =>
        _guest.SendKeys(name, keys, holdTimeMs, cancellationToken);

    public IReadOnlyList<string> ReadSerial(string name, int? tail) => _guest.ReadSerial(name, tail);

    public SerialMatch WaitForText(string name, Regex pattern, DateTime deadline, bool newOutputOnly, CancellationToken cancellationToken) =>
        _guest.WaitForText(name, pattern, deadline, newOutputOnly, cancellationToken);

    public VmInfo WaitForState(string name, VmState state, DateTime deadline, CancellationToken cancellationToken) =>
        _guest.WaitForState(name, state, deadline, cancellationToken);

    public VmInfo Set(string name, VmChange change, CancellationToken cancellationToken) => _settings.Set(name, change, cancellationToken);

    public VmInfo Copy(string name, string newName, bool linked, string? snapshotName, string? diskFolder, CancellationToken cancellationToken) =>
        _copies.Copy(name, newName, linked, snapshotName, diskFolder, cancellationToken);

    public IReadOnlyList<VmSnapshot> GetSnapshots(string name, CancellationToken cancellationToken) => _checkpoints.List(name, cancellationToken);

    public VmSnapshot Checkpoint(string name, string? snapshotName, string? description, CancellationToken cancellationToken) =>
        _checkpoints.Create(name, snapshotName, description, cancellationToken);

    public VmSnapshot RestoreSnapshot(string name, string snapshotName, CancellationToken cancellationToken) => _checkpoints.Restore(name, snapshotName, cancellationToken);

    public VmSnapshot RemoveSnapshot(string name, string snapshotName, CancellationToken cancellationToken) => _checkpoints.Remove(name, snapshotName, cancellationToken);

    /// <summary>qemu's VNC server of a running VM, on the address it listens on (a wildcard address is reached on loopback).</summary>
    public ConsoleEndpoint? FindConsoleEndpoint(string name)
    {
        if (_store.Read(name).Value is not { } spec)
        {
            return null;
        }

        // A console is only worth bridging once the VM's password is set.
        Settle(new[] { spec }, CancellationToken.None);
        var vm = _store.Paths.ForVm(name);
        if (QemuProcess.Find(vm) is null)
        {
            return null;
        }

        return ConsoleEndpoint.Tcp(ConnectableHost(spec.ListenAddress), spec.VncPort, VmSecrets.ReadVncPassword(vm) is { Length: > 0 } password ? password : null);
    }

    /// <summary>
    /// Finishes (or undoes) the starts that other commands left half done, under the store lock, so that
    /// a start still in progress elsewhere completes first and is left alone.
    /// </summary>
    private void Settle(IReadOnlyList<VmSpec> specs, CancellationToken cancellationToken)
    {
        var half = specs.Where(_launcher.IsHalfStarted).ToArray();
        if (half.Length == 0)
        {
            return;
        }

        using (_store.Lock(cancellationToken))
        {
            foreach (var spec in half)
            {
                _launcher.Settle(spec, cancellationToken);
            }
        }
    }

    private static string ConnectableHost(string listenAddress) =>
        IPAddress.TryParse(listenAddress, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            ? (ip.Equals(IPAddress.Any) ? "127.0.0.1" : "::1")
            : listenAddress;
}
