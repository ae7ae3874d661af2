using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Folder;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// Copy-HeadlessVm on libvirt domains: the disks copied through libvirt's storage API, so on the host that has them
/// (this machine or another), then a new domain defined.
/// </summary>
public sealed partial class LibvirtBackend
{
    /// <summary>
    /// Makes domain <paramref name="newName"/> a copy of stopped domain <paramref name="name"/>: a new UUID, MAC address and VNC
    /// password, a VNC port libvirt picks (autoport), its own serial log, and its own disks named as the store names them
    /// (NEWNAME-DISKFILE; .qcow2 for a linked one) in <paramref name="diskFolder"/> or each source disk's folder. Disks are
    /// storage volumes: a full copy is virStorageVolCreateXMLFrom (libvirt copies the data on its host), a linked one a
    /// qcow2 volume whose &lt;backingStore&gt; is the source's disk (which the copy then only reads). So every source disk and the
    /// folder of every copy must be in an active storage pool (a pool of type dir for a folder): DiskNotInStoragePool
    /// otherwise, naming the disk or folder, before anything is made; HeadlessVm does not make pools on a host by itself.
    /// <para>
    /// The storage API cannot rename a volume, so the copies get their final names at once rather than temporary ones: libvirt
    /// refuses to use a volume while it is being built and deletes one whose build fails, and the domain is defined only after
    /// every disk is complete. A copy that fails or is cancelled between disks deletes the volumes it made and defines nothing.
    /// </para>
    /// VmAlreadyExists, CopyDiskExists (a file or volume of that name), VmIsExternal (HeadlessVm rebuilds the domain from what it
    /// wrote), VmMustBeStopped for a running source. Copies from a checkpoint (<paramref name="snapshotName"/>) are NotSupportedOnHost.
    /// </summary>
    public VmInfo Copy(string name, string newName, bool linked, string? snapshotName, string? diskFolder, CancellationToken cancellationToken)
    {
        if (linked && snapshotName is not null)
        {
            throw new ArgumentException("A linked copy overlays the disks as they are; it cannot start from a checkpoint.", nameof(snapshotName));
        }

        VmStore.ValidateName(newName);
        var info = Info(name);
        var (domain, built, spec) = LibvirtDomainSpecs.Read(_connection.GetXml(name, secure: true, inactive: true), name);
        if (domain.ManagedBy == ManagedBy.External)
        {
            throw HeadlessVmErrors.VmIsExternal(name, HostName, "Copy-HeadlessVm rebuilds the copy from what HeadlessVm wrote, and would lose what this domain has besides. Copy it with virt-clone.");
        }

        if (Exists(newName))
        {
            throw HeadlessVmErrors.VmAlreadyExists(newName);
        }

        if (snapshotName is not null)
        {
            throw HeadlessVmErrors.NotSupportedOnHost(Location.ComputerName, "Copies from a checkpoint (Copy-HeadlessVm -SnapshotName)");
        }

        if (info.Status.State != LibvirtDomainState.Shutoff)
        {
            throw HeadlessVmErrors.VmMustBeStoppedToCopy(name, linked, checkpointsWork: false);
        }

        if (diskFolder is not null && !Path.IsPathRooted(diskFolder))
        {
            throw HeadlessVmErrors.PathNotAbsolute(name, diskFolder, HostName);
        }

        var plan = Plan(name, spec, newName, linked, diskFolder);
        var made = new List<string>();
        try
        {
            var disks = new List<DiskSpec>();
            foreach (var (disk, volume, target) in plan)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var activity = $"Copying disk '{Path.GetFileName(disk.Path)}' of VM '{name}'";
                _host.Progress(new WaitProgress(activity, linked ? "making an overlay" : $"{volume.CapacityBytes / (1024 * 1024)} MB on {HostName}", 0, -1));
                var folder = Path.GetDirectoryName(target)!;
                var path = linked
                    ? _connection.CreateOverlay(volume.Path, disk.Format, folder, Path.GetFileName(target), name)
                    : _connection.CopyVolume(volume.Path, folder, Path.GetFileName(target), disk.Format, name);
                made.Add(path);
                _host.Progress(new WaitProgress(activity, "done", 100, 0, Completed: true));
                disks.Add(new DiskSpec(path, linked ? "qcow2" : disk.Format));
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (spec.PortForwards.Count > 0)
            {
                _host.Warning($"VM '{newName}' forwards the same host ports as '{name}' ({string.Join(", ", spec.PortForwards)}); " +
                    "the two cannot run at once until one of them gets others (Set-HeadlessVm -PortForward).");
            }

            var cloudInit = built.CloudInit is null ? null : built.CloudInit with { InstanceId = CloudInit.CloudInitSeeds.NewInstanceId(newName) };
            string? seed = null;
            if (cloudInit is not null)
            {
                seed = UploadSeed(newName, cloudInit, SeedFolder(newName, spec with { Disks = disks }), cancellationToken);
                made.Add(seed);
            }

            var copy = built with
            {
                CloudInit = cloudInit,
                CloudInitSeedPath = seed,
                Name = newName,
                Uuid = Guid.NewGuid(),
                Disks = disks,
                MacAddress = spec.Network == NetworkMode.User ? VmSecrets.RandomMac() : null,
                VncPassword = VmSecrets.NewVncPassword(),
                VncPort = null,
                SerialLogPath = built.SerialLogPath is null ? null : DomainVms.SerialLogPathFor(Uri, newName),
                Created = DateTimeOffset.Now,
            };
            var id = _connection.DefineNew(DomainXml.Build(copy));
            _host.Verbose($"Defined domain '{newName}' on {HostName}, a {(linked ? "linked " : string.Empty)}copy of '{name}', UUID {id.Uuid}.");
            return Get(newName);
        }
        catch
        {
            foreach (var path in made)
            {
                try
                {
                    _connection.DeleteVolume(path, name);
                }
                catch (HeadlessVmException e)
                {
                    _host.Warning($"Could not delete volume '{path}' on {HostName} after the copy of VM '{name}' failed: {e.Message}");
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Each source disk with its volume and the copy's path (named as the store names them), all checked before anything is
    /// made: DiskNotInStoragePool for a disk or a target folder outside every active pool, CopyDiskExists for a target taken.
    /// </summary>
    private List<(DiskSpec Disk, LibvirtVolume Volume, string Target)> Plan(string name, VmSpec spec, string newName, bool linked, string? diskFolder)
    {
        var targets = VmCopies.Targets(spec, newName, linked, diskFolder);
        var plan = new List<(DiskSpec, LibvirtVolume, string)>();
        foreach (var (disk, target) in spec.Disks.Zip(targets))
        {
            var volume = _connection.FindVolume(disk.Path, name) ?? throw HeadlessVmErrors.DiskNotInStoragePool(name, disk.Path, HostName, isFolder: false);
            var folder = Path.GetDirectoryName(target)!;
            if (_connection.FindPool(folder, name) is null)
            {
                throw HeadlessVmErrors.DiskNotInStoragePool(name, folder, HostName, isFolder: true);
            }

            if (_connection.VolumeExists(folder, Path.GetFileName(target), name) || _connection.FindVolume(target, name) is not null)
            {
                throw HeadlessVmErrors.CopyDiskExists(name, target);
            }

            plan.Add((disk, volume, target));
        }

        return plan;
    }
}
