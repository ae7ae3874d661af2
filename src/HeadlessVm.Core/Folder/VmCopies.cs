using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Folder;

/// <summary>
/// Copies of a store VM (Copy-HeadlessVm): a new VM record with its own name, MAC address, VNC display and password
/// (and its own cloud-init seed, with a new instance id),
/// and its own disks: full copies (qemu-img convert, in the source's formats) or, linked, qcow2 overlays whose backing
/// files are the source's disks (which the copy never writes; the source must then leave them as they are). Every
/// disk is made under a temporary name (NAME.partial.EXT) and renamed when all are done; a copy that fails or is
/// cancelled leaves no disk, no temporary file and no record.
/// </summary>
public sealed class VmCopies
{
    private readonly VmStore _store;
    private readonly DisplayAllocator _displays;
    private readonly DiskImages _disks;
    private readonly VmInspector _inspector;
    private readonly IVmHost _host;
    private readonly DiskHolders _diskHolders;

    public VmCopies(VmStore store, DisplayAllocator displays, DiskImages disks, DiskHolders diskHolders, VmInspector inspector, IVmHost host)
    {
        _diskHolders = diskHolders;
        _store = store;
        _displays = displays;
        _disks = disks;
        _inspector = inspector;
        _host = host;
    }

    /// <summary>
    /// Copies VM <paramref name="name"/> to a new VM <paramref name="newName"/>. Its disks go into
    /// <paramref name="diskFolder"/> (each source disk's own folder when null) as NEWNAME-DISKFILE (.qcow2 for a linked
    /// one). A running source is copied only from checkpoint <paramref name="snapshot"/> (VmMustBeStopped otherwise);
    /// <paramref name="linked"/> copies need a stopped source and no checkpoint (ArgumentException with one). VmAlreadyExists, CopyDiskExists,
    /// SnapshotNotFound, CopyDiskFolderNotFound (a <paramref name="diskFolder"/> that is no folder) before anything is made.
    /// </summary>
    public VmInfo Copy(string name, string newName, bool linked, string? snapshot, string? diskFolder, CancellationToken cancellationToken = default)
    {
        if (linked && snapshot is not null)
        {
            throw new ArgumentException("A linked copy overlays the disks as they are; it cannot start from a checkpoint.", nameof(snapshot));
        }

        VmStore.ValidateName(newName);
        using (_store.Lock(cancellationToken))
        {
            var spec = _store.Get(name);
            if (_store.Exists(newName))
            {
                throw HeadlessVmErrors.VmAlreadyExists(newName);
            }

            var running = QemuProcess.Find(_store.Paths.ForVm(name)) is not null;
            if (running && (snapshot is null || linked))
            {
                throw HeadlessVmErrors.VmMustBeStoppedToCopy(name, linked, checkpointsWork: true);
            }

            if (snapshot is null)
            {
                // A copy reads the disks as they are (a checkpoint's clusters never change, and are read with -U), which no
                // running VM of the store may be writing meanwhile.
                _diskHolders.Check(spec, DiskAccess.Read, $"be copied to '{newName}'", cancellationToken);
            }

            if (snapshot is not null && spec.Disks.Select(d => _disks.Describe(d.Path, cancellationToken)).ToArray() is var described
                && described.FirstOrDefault(d => d.Snapshots.All(s => s.Name != snapshot)) is { Disk: { } lacking })
            {
                throw described.Any(d => d.Snapshots.Any(s => s.Name == snapshot))
                    ? HeadlessVmErrors.SnapshotIncomplete(name, snapshot, lacking.Path)
                    : HeadlessVmErrors.SnapshotNotFound(name, snapshot);
            }

            if (diskFolder is not null && !Directory.Exists(diskFolder))
            {
                throw HeadlessVmErrors.CopyDiskFolderNotFound(name, diskFolder, File.Exists(diskFolder));
            }

            var targets = Targets(spec, newName, linked, diskFolder);
            if (targets.FirstOrDefault(t => File.Exists(t) || Directory.Exists(t)) is { } taken)
            {
                throw HeadlessVmErrors.CopyDiskExists(name, taken);
            }

            var made = new List<string>();
            try
            {
                var disks = new List<DiskSpec>();
                foreach (var (disk, target) in spec.Disks.Zip(targets))
                {
                    var partial = Partial(target);
                    made.Add(partial);
                    if (linked)
                    {
                        _disks.Create(partial, "qcow2", null, disk.Path, force: false, cancellationToken);
                    }
                    else
                    {
                        _disks.Copy(name, disk.Path, disk.Format, partial, snapshot, cancellationToken);
                    }

                    disks.Add(new DiskSpec(target, linked ? "qcow2" : disk.Format));
                }

                foreach (var target in targets)
                {
                    File.Move(Partial(target), target);
                    made.Add(target);
                }

                if (spec.PortForwards.Count > 0)
                {
                    _host.Warning($"VM '{newName}' forwards the same host ports as '{name}' ({string.Join(", ", spec.PortForwards)}); " +
                        "the two cannot run at once until one of them gets others (Set-HeadlessVm -PortForward).");
                }

                var copy = spec with
                {
                    Name = newName,
                    Disks = disks,
                    MacAddress = spec.Network == NetworkMode.User ? VmSecrets.RandomMac() : null,
                    MacAddressGenerated = spec.Network == NetworkMode.User,
                    VncDisplay = _displays.Pick(newName, spec.ListenAddress, _store.List().Select(o => o.VncDisplay)),
                    VncDisplayPicked = true,
                    Created = DateTimeOffset.Now,
                    // A new instance to cloud-init, so that it sets the copy up (its host name, its keys) on first boot.
                    CloudInit = spec.CloudInit is null ? null : spec.CloudInit with { InstanceId = CloudInit.CloudInitSeeds.NewInstanceId(newName) },
                };
                _store.Save(copy);
                VmSecrets.WriteVncPassword(_store.Paths.ForVm(newName), VmSecrets.NewVncPassword());
                if (copy.CloudInit is not null)
                {
                    CloudInit.CloudInitSeeds.Write(newName, _store.Paths.ForVm(newName), copy.CloudInit, _host, cancellationToken);
                }
                return _inspector.Inspect(copy);
            }
            catch
            {
                foreach (var file in made)
                {
                    TryDelete(file);
                }

                _store.TryDelete(newName);
                throw;
            }
        }
    }

    /// <summary>The copy's disk paths, in the source's order; a name two disks would share gets the disk's position too.</summary>
    internal static string[] Targets(VmSpec spec, string newName, bool linked, string? diskFolder)
    {
        var targets = spec.Disks.Select(d => Path.Combine(diskFolder ?? Path.GetDirectoryName(d.Path)!,
            $"{newName}-{(linked ? Path.GetFileNameWithoutExtension(d.Path) + ".qcow2" : Path.GetFileName(d.Path))}")).ToArray();
        return targets.Select((t, i) => targets.Count(o => o == t) > 1
            ? Path.Combine(Path.GetDirectoryName(t)!, $"{Path.GetFileNameWithoutExtension(t)}-{i + 1}{Path.GetExtension(t)}")
            : t).ToArray();
    }

    /// <summary>Where a disk is made before it is complete: NAME.partial.EXT beside it (the extension still says the format).</summary>
    private static string Partial(string target) =>
        Path.Combine(Path.GetDirectoryName(target)!, $"{Path.GetFileNameWithoutExtension(target)}.partial{Path.GetExtension(target)}");

    private void TryDelete(string file)
    {
        // A disk the failure stopped before it was made (qemu-img never started) is nothing to remove.
        if (!File.Exists(file))
        {
            return;
        }

        try
        {
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _host.Warning($"Could not remove '{file}' after the copy failed: {ex.Message}");
        }
    }
}
