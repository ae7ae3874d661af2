using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Folder;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// Checkpoints of libvirt domains, through libvirt's own snapshots (virDomainSnapshotCreateXML and friends; see
/// <see cref="LibvirtConnection.CreateSnapshot"/>): internal snapshots of the domain's qcow2 disks, with its memory and
/// devices while it runs, its disks alone while it is stopped, the same objects and the same checks as the folder store's
/// (<see cref="Checkpoints"/>): names, NoSnapshotDisk, DiskCannotSnapshot, SnapshotExists, SnapshotNotFound and
/// SnapshotWithoutMemory come before libvirt is asked to change anything.
/// <para>
/// Waiting: libvirt's snapshot calls block until the job is done (the guest's memory is written to or read from its disk),
/// and an internal snapshot's job cannot be aborted (virDomainAbortJob, `virsh domjobabort`, answered "no job is active on the
/// domain" all through internal snapshots of a running domain on libvirt 9.0 here). So the
/// call runs on a worker thread while the caller's thread reports progress; cancelling (Ctrl+C) stops the waiting, never the
/// job: libvirt finishes it (with VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC a snapshot is made whole or not at all), and
/// Get-HeadlessVmSnapshot shows it once it is done. The same holds after <see cref="Checkpoints.JobTimeout"/> (SnapshotTimeout).
/// </para>
/// </summary>
public sealed partial class LibvirtBackend
{
    /// <summary>The domain's checkpoints, oldest first (libvirt's creationTime, parents before children within a second).</summary>
    public IReadOnlyList<VmSnapshot> GetSnapshots(string name, CancellationToken cancellationToken)
    {
        Info(name);
        return Snapshots(name).OrderBy(s => s.Created).ToArray();
    }

    /// <inheritdoc cref="Backends.IVmBackend.Checkpoint"/>
    public VmSnapshot Checkpoint(string name, string? snapshotName, string? description, CancellationToken cancellationToken)
    {
        var snapshot = snapshotName ?? Checkpoints.DefaultName(name, DateTimeOffset.Now);
        Checkpoints.CheckName(name, snapshot);
        var running = Info(name).Status.State != LibvirtDomainState.Shutoff;
        CheckSnapshotDisks(name);
        if (_connection.FindSnapshot(name, snapshot) is not null)
        {
            throw HeadlessVmErrors.SnapshotExists(name, snapshot);
        }

        var xml = DomainSnapshotXml.Request(snapshot, description);
        var what = running ? "memory, devices and disks" : "disks";
        RunSnapshotJob(name, snapshot, $"Saving snapshot '{snapshot}' of VM '{name}'", $"libvirt writes the {what}", "virDomainSnapshotCreateXML",
            () => _connection.CreateSnapshot(name, xml), cancellationToken);
        return FindSnapshot(name, snapshot);
    }

    /// <summary>
    /// Puts the domain back to checkpoint <paramref name="snapshotName"/> (virDomainRevertToSnapshot), its libvirt definition
    /// included (libvirt keeps the domain's XML with each snapshot and reverts to it). A running domain resumes
    /// where it was then, a paused one stays paused (SnapshotWithoutMemory for a disks-only checkpoint: the disks cannot change
    /// under a running guest). A stopped domain gets its disks back; when the checkpoint holds memory, libvirt can only revert
    /// it by starting it from that memory, so it is started paused, its console recorded and its port forwards added as by
    /// Start-HeadlessVm, then run (with a warning that it now runs).
    /// </summary>
    public VmSnapshot RestoreSnapshot(string name, string snapshotName, CancellationToken cancellationToken)
    {
        var info = Info(name);
        CheckSnapshotDisks(name);
        var target = FindSnapshot(name, snapshotName);
        var state = info.Status.State;
        if (state != LibvirtDomainState.Shutoff && !target.HasMemory)
        {
            throw HeadlessVmErrors.SnapshotWithoutMemory(name, snapshotName);
        }

        var mode = state switch
        {
            LibvirtDomainState.Shutoff => target.HasMemory ? SnapshotRevertMode.Paused : SnapshotRevertMode.AsTaken,
            LibvirtDomainState.Paused or LibvirtDomainState.PMSuspended => SnapshotRevertMode.Paused,
            _ => SnapshotRevertMode.Running,
        };
        RunSnapshotJob(name, snapshotName, $"Loading snapshot '{snapshotName}' of VM '{name}'", "libvirt reverts the VM", "virDomainRevertToSnapshot",
            () => _connection.RevertToSnapshot(name, snapshotName, mode), cancellationToken);

        if (state == LibvirtDomainState.Shutoff && target.HasMemory)
        {
            // Started from the snapshot: what Start-HeadlessVm does after a start, then the guest runs on where it was. A forward
            // that fails stops it again, as a start does (its disks stay as the snapshot had them, which is what was asked).
            Record(name, info.Uuid);
            try
            {
                AddPortForwards(name, Parse(name).Metadata?.PortForwards ?? Array.Empty<PortForward>(), cancellationToken);
            }
            catch (Exception e) when (e is HeadlessVmException or OperationCanceledException)
            {
                _connection.Destroy(name);
                throw;
            }

            _connection.Resume(name);
            _host.Warning($"VM '{name}' on {HostName} was stopped, and snapshot '{snapshotName}' holds its memory: libvirt reverts such a " +
                "snapshot by starting the VM from it, so it now runs where it was then.");
        }

        return target;
    }

    /// <summary>Deletes checkpoint <paramref name="snapshotName"/> from the domain's disks and libvirt's metadata; returns it as it was.</summary>
    public VmSnapshot RemoveSnapshot(string name, string snapshotName, CancellationToken cancellationToken)
    {
        Info(name);
        var target = FindSnapshot(name, snapshotName);
        RunSnapshotJob(name, snapshotName, $"Deleting snapshot '{snapshotName}' of VM '{name}'", "libvirt deletes it", "virDomainSnapshotDelete",
            () => _connection.DeleteSnapshot(name, snapshotName), cancellationToken);
        return target;
    }

    private IEnumerable<VmSnapshot> Snapshots(string name) =>
        _connection.ListSnapshots(name).Select(xml => DomainSnapshotXml.Parse(xml, name, Location));

    private VmSnapshot FindSnapshot(string name, string snapshot) =>
        _connection.FindSnapshot(name, snapshot) is { } xml
            ? DomainSnapshotXml.Parse(xml, name, Location)
            : throw HeadlessVmErrors.SnapshotNotFound(name, snapshot);

    /// <summary>
    /// The checks the store makes, on the domain's XML as it is now: NoSnapshotDisk when it has no writable disk,
    /// DiskCannotSnapshot naming the first whose driver type is not qcow2 (libvirt would refuse it with "internal snapshot
    /// for disk ... unsupported for storage type raw"). Read-only disks and cdroms are left out, as libvirt leaves them out.
    /// </summary>
    private void CheckSnapshotDisks(string name)
    {
        var disks = Parse(name).Disks.Where(d => d.Device == "disk" && !d.ReadOnly).ToArray();
        if (disks.Length == 0)
        {
            throw HeadlessVmErrors.NoSnapshotDisk(name);
        }

        if (disks.FirstOrDefault(d => !string.Equals(d.Format, "qcow2", StringComparison.OrdinalIgnoreCase)) is { } other)
        {
            throw HeadlessVmErrors.DiskCannotSnapshot(name, other.Source ?? other.Target ?? "(no source)", other.Format ?? "raw (the domain gives no driver type)");
        }
    }

    /// <summary>
    /// Runs a blocking snapshot call on a worker thread and waits for it on this one with progress, honouring the token
    /// (see the class remarks: cancelling or timing out stops the waiting, and libvirt finishes the job).
    /// </summary>
    private void RunSnapshotJob(string name, string snapshot, string activity, string status, string call, Action job, CancellationToken cancellationToken)
    {
        var task = Task.Run(job, CancellationToken.None);
        using (var countdown = new Countdown(_host, activity, status, DateTime.UtcNow + Checkpoints.JobTimeout))
        {
            try
            {
                while (!task.Wait(Poll, cancellationToken))
                {
                    if (countdown.Expired)
                    {
                        throw HeadlessVmErrors.SnapshotTimeout(name, $"{call} (libvirt)", snapshot, Checkpoints.JobTimeout);
                    }

                    countdown.Tick();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or HeadlessVmException)
            {
                // The job goes on in libvirt; its outcome, if a failure, is observed here so it never surfaces unobserved.
                _ = task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                throw;
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException!).Throw();
            }
        }
    }
}
