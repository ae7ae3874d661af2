using System.Text.Json.Nodes;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Folder;

/// <summary>
/// Changes a store VM's settings (Set-HeadlessVm), all or nothing, under the store lock. A stopped VM takes every
/// change in its record (a new name moves its folder). A running one takes what qemu can change live, and only that:
/// its ISO (QMP eject and blockdev-change-medium on the CD-ROM drive it started with) and its port forwards (HMP
/// hostfwd_remove and hostfwd_add on its netdev); any other change is VmMustBeStopped before anything happens, and a
/// live change that qemu refuses is undone with those made before it.
/// </summary>
public sealed class VmSettings
{
    private readonly VmStore _store;
    private readonly DisplayAllocator _displays;
    private readonly VmMonitor _monitor;
    private readonly DiskImages _disks;
    private readonly VmInspector _inspector;
    private readonly IVmHost _host;

    public VmSettings(VmStore store, DisplayAllocator displays, VmMonitor monitor, DiskImages disks, VmInspector inspector, IVmHost host)
    {
        _store = store;
        _displays = displays;
        _monitor = monitor;
        _disks = disks;
        _inspector = inspector;
        _host = host;
    }

    /// <summary>Applies <paramref name="change"/> to VM <paramref name="name"/> and returns the VM as it then is (under its new name, if any).</summary>
    public VmInfo Set(string name, VmChange change, CancellationToken cancellationToken = default)
    {
        VmSpec next;
        using (_store.Lock(cancellationToken))
        {
            var spec = _store.Get(name);
            next = VmDraftValidator.Apply(spec, change, path => _disks.FormatOf(path, cancellationToken), _host);
            if (next.Name != name && _store.Exists(next.Name))
            {
                throw HeadlessVmErrors.VmAlreadyExists(next.Name);
            }

            if (next.VncDisplay != spec.VncDisplay)
            {
                _displays.CheckFree(name, next.ListenAddress, next.VncDisplay, _store.List().Where(o => o.Name != name).ToArray(), considerStopped: true);
            }

            var vm = _store.Paths.ForVm(name);
            if (QemuProcess.Find(vm) is not null)
            {
                var offline = VmDraftValidator.NeedStop(spec, next);
                if (offline.Count > 0)
                {
                    throw HeadlessVmErrors.VmMustBeStopped(name, string.Join(", ", offline));
                }

                _monitor.Session(name, vm, cancellationToken, qmp => ChangeLive(qmp, spec, next));
            }
            else
            {
                if (!ReferenceEquals(next.CloudInit, spec.CloudInit) && next.CloudInit is not null)
                {
                    // Made anew (with its new instance id, and its new name as the default host name) in the VM's
                    // folder before the record says so.
                    CloudInit.CloudInitSeeds.Write(next.Name, vm, next.CloudInit, _host, cancellationToken);
                }

                if (next.Name != name)
                {
                    Rename(name, next);
                }
                else
                {
                    _store.Save(next);
                }
            }
        }

        return _inspector.Inspect(_store.Get(next.Name));
    }

    /// <summary>Changes the ISO and the forwards of a running VM, then saves its record; what fails is undone, in reverse order.</summary>
    private void ChangeLive(QmpClient qmp, VmSpec spec, VmSpec next)
    {
        var undo = new Stack<Action>();
        try
        {
            if (next.IsoPath != spec.IsoPath)
            {
                var drive = CdromDrive(qmp, spec);

                // Pushed before the change: qemu opens the tray and takes the old medium out before it opens the new
                // one, so a refused change (a file it cannot open or lock) leaves the drive empty unless it is put back.
                undo.Push(() => SetMedium(qmp, spec.Name, drive, spec.IsoPath));
                SetMedium(qmp, spec.Name, drive, next.IsoPath);
            }

            foreach (var gone in spec.PortForwards.Except(next.PortForwards))
            {
                Hmp(qmp, spec.Name, gone, HostForwardCommands.Remove(gone, QemuArgumentBuilder.NetdevId));
                undo.Push(() => Hmp(qmp, spec.Name, gone, HostForwardCommands.Add(gone, QemuArgumentBuilder.NetdevId)));
            }

            foreach (var added in next.PortForwards.Except(spec.PortForwards))
            {
                Hmp(qmp, spec.Name, added, HostForwardCommands.Add(added, QemuArgumentBuilder.NetdevId));
                undo.Push(() => Hmp(qmp, spec.Name, added, HostForwardCommands.Remove(added, QemuArgumentBuilder.NetdevId)));
            }

            _store.Save(next);
        }
        catch
        {
            while (undo.TryPop(out var back))
            {
                try
                {
                    back();
                }
                catch (Exception ex) when (ex is HeadlessVmException or QmpException or IOException)
                {
                    _host.Warning($"VM '{spec.Name}': could not undo a live change after a failure: {ex.Message}");
                }
            }

            throw;
        }
    }

    /// <summary>
    /// The VM's CD-ROM drive in query-block: <see cref="QemuArgumentBuilder.CdromId"/>, or, for a qemu started before
    /// the drive had that id, the removable drive holding the VM's ISO (a floppy drive is removable too); VmMustBeStopped
    /// when it has none. An ejected drive stays, so an ISO goes back in live.
    /// </summary>
    private static string CdromDrive(QmpClient qmp, VmSpec spec)
    {
        var drives = (qmp.Execute("query-block") as JsonArray ?? new JsonArray()).OfType<JsonObject>()
            .Where(d => d["removable"]?.GetValue<bool>() == true)
            .Select(d => (Device: d["device"]?.GetValue<string>(), File: d["inserted"]?["file"]?.GetValue<string>())).ToArray();
        return drives.FirstOrDefault(d => d.Device == QemuArgumentBuilder.CdromId).Device
            ?? drives.FirstOrDefault(d => d.File is not null && d.File == spec.IsoPath).Device
            // Without an ISO at its start the VM has no CD-ROM drive to put one in; this is the first live change, so nothing changed yet.
            ?? throw HeadlessVmErrors.VmMustBeStopped(spec.Name, "IsoPath (it started without an ISO, so it has no CD-ROM drive)");
    }

    /// <summary>Ejects the drive's medium (<paramref name="iso"/> null) or puts <paramref name="iso"/> in it, read-only (qapi/block.json).</summary>
    private static void SetMedium(QmpClient qmp, string name, string drive, string? iso)
    {
        try
        {
            if (iso is null)
            {
                qmp.Execute("eject", new JsonObject { ["device"] = drive, ["force"] = true });
            }
            else
            {
                qmp.Execute("blockdev-change-medium", new JsonObject
                {
                    ["device"] = drive,
                    ["filename"] = iso,
                    ["format"] = "raw",
                    ["read-only-mode"] = "read-only",
                });
            }
        }
        catch (QmpException ex)
        {
            throw HeadlessVmErrors.MediumChangeFailed(name, iso, ex.Description);
        }
    }

    /// <summary>Runs an HMP hostfwd command; PortForwardFailed with qemu's answer when it did not work (<see cref="HostForwardCommands.Check"/>).</summary>
    private static void Hmp(QmpClient qmp, string name, PortForward forward, string command) =>
        HostForwardCommands.Check(name, forward, command, qmp.Execute("human-monitor-command", new JsonObject { ["command-line"] = command })?.GetValue<string>());

    /// <summary>Moves a stopped VM's folder to its new name and writes its record there; the folder goes back if the record cannot be written.</summary>
    private void Rename(string name, VmSpec next)
    {
        var from = _store.Paths.ForVm(name).Folder;
        var to = _store.Paths.ForVm(next.Name).Folder;
        try
        {
            Directory.Move(from, to);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateWriteException(to, ex);
        }

        try
        {
            _store.Save(next);
        }
        catch
        {
            Directory.Move(to, from);
            throw;
        }
    }
}
