using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Folder;

/// <summary>
/// Checkpoints of the store's VMs: qcow2 internal snapshots of one name on every disk of the VM. A running VM's
/// snapshot holds its memory and devices too, and is made, loaded and deleted by QEMU's snapshot jobs (QMP
/// snapshot-save, snapshot-load, snapshot-delete, QEMU 6.0+; qapi/migration.json), which stop the guest's CPUs for
/// their duration and run them again after if they ran before. A stopped VM's snapshots are its disks only, made
/// with qemu-img snapshot. Every disk must be qcow2 (the one format with internal snapshots); the checks come first,
/// so a refused checkpoint changes nothing.
/// </summary>
public sealed partial class Checkpoints
{
    /// <summary>How long a snapshot job may take before SnapshotTimeout unless $HEADLESSVM_SNAPSHOT_TIMEOUT_SEC says otherwise (see <see cref="JobTimeout"/>).</summary>
    public static readonly TimeSpan DefaultJobTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The environment variable that sets <see cref="JobTimeout"/> in whole seconds (1 or more); read at each checkpoint.</summary>
    public const string JobTimeoutVariable = "HEADLESSVM_SNAPSHOT_TIMEOUT_SEC";

    /// <summary>
    /// How long a snapshot job may take before SnapshotTimeout: the guest's memory is written to or read from the disk,
    /// and qemu's monitor does not answer meanwhile (the job runs in its main loop), so this bounds each QMP answer of
    /// the job too. $HEADLESSVM_SNAPSHOT_TIMEOUT_SEC when it holds a whole number of seconds from 1, else 10 minutes.
    /// </summary>
    public static TimeSpan JobTimeout =>
        int.TryParse(Environment.GetEnvironmentVariable(JobTimeoutVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultJobTimeout;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private readonly VmStore _store;
    private readonly VmMonitor _monitor;
    private readonly DiskImages _disks;
    private readonly IVmHost _host;
    private readonly DiskHolders _diskHolders;

    public Checkpoints(VmStore store, VmMonitor monitor, DiskImages disks, DiskHolders diskHolders, IVmHost host)
    {
        _diskHolders = diskHolders;
        _store = store;
        _monitor = monitor;
        _disks = disks;
        _host = host;
    }

    // \z, not $: $ would let a name end in a newline.
    [GeneratedRegex(@"^(?![- ])(?!\d+\z)[A-Za-z0-9 ._:+-]{1,128}\z")]
    private static partial Regex NamePattern();

    /// <summary>The name a checkpoint gets when none is given: VM-yyyyMMdd-HHmmss in local time.</summary>
    public static string DefaultName(string vmName, DateTimeOffset now) => $"{vmName}-{now:yyyyMMdd-HHmmss}";

    /// <summary>InvalidSnapshotName unless <paramref name="snapshot"/> can name a snapshot of every disk (see the pattern).</summary>
    public static void CheckName(string vmName, string snapshot)
    {
        if (!NamePattern().IsMatch(snapshot))
        {
            throw HeadlessVmErrors.InvalidSnapshotName(vmName, snapshot);
        }
    }

    /// <summary>The VM's snapshots, oldest first; a VM without disks, or with only raw ones, has none.</summary>
    public IReadOnlyList<VmSnapshot> List(string name, CancellationToken cancellationToken = default)
    {
        var spec = _store.Get(name);
        var found = spec.Disks.Select(d => _disks.Describe(d.Path, cancellationToken).Snapshots).ToArray();
        var notes = found.Any(f => f.Count > 0) ? SnapshotNotes.Read(name, _store.Paths.ForVm(name), _host) : new SnapshotNotes();
        return Group(name, found.SelectMany(s => s), notes).OrderBy(s => s.Created).ToArray();
    }

    /// <summary>
    /// Takes a snapshot of the VM: its memory, devices and every disk while it runs, the
    /// disks alone while it is stopped (named VM-yyyyMMdd-HHmmss when <paramref name="snapshotName"/> is null). SnapshotExists when a disk has one of that name already.
    /// </summary>
    public VmSnapshot Create(string name, string? snapshotName, string? description = null, CancellationToken cancellationToken = default)
    {
        var snapshot = snapshotName ?? DefaultName(name, DateTimeOffset.Now);
        CheckName(name, snapshot);
        var (spec, disks) = SnapshotDisks(name, cancellationToken);
        if (disks.SelectMany(d => d.Snapshots).Any(s => s.Name == snapshot))
        {
            throw HeadlessVmErrors.SnapshotExists(name, snapshot);
        }

        var paths = disks.Select(d => d.Disk.Path).ToArray();

        // Written first: a Ctrl+C (or a SnapshotTimeout) stops the waiting, not qemu's job, and the checkpoint that job
        // then completes keeps its description (a checkpoint made by hand with qemu-img may have left one of that name).
        var vmFiles = _store.Paths.ForVm(name);
        SnapshotNotes.Set(name, vmFiles, snapshot, string.IsNullOrEmpty(description) ? null : description, _host);
        try
        {
            Take(name, snapshot, paths, cancellationToken);
        }
        catch (HeadlessVmException ex) when (ex.ErrorId != ErrorIds.SnapshotTimeout)
        {
            SnapshotNotes.Set(name, vmFiles, snapshot, null, _host);
            throw;
        }

        return Find(name, snapshot, cancellationToken);
    }

    /// <summary>Makes snapshot <paramref name="snapshot"/> of every disk in <paramref name="paths"/>: with the VM's memory when it runs, all or none.</summary>
    private void Take(string name, string snapshot, string[] paths, CancellationToken cancellationToken) =>
        Act(name, $"take checkpoint '{snapshot}'", cancellationToken, qmp =>
        {
            var nodes = NodeNames(qmp, name, paths);
            RunJob(qmp, name, "snapshot-save", snapshot, new JsonObject
            {
                ["tag"] = snapshot,
                ["vmstate"] = nodes[0],
                ["devices"] = Array(nodes),
            }, cancellationToken);
        }, () =>
        {
            var done = new List<string>();
            try
            {
                foreach (var path in paths)
                {
                    _disks.Snapshot(name, SnapshotAction.Create, snapshot, path, cancellationToken);
                    done.Add(path);
                }
            }
            catch
            {
                // All disks or none: a snapshot on some disks only could not be restored.
                foreach (var path in done)
                {
                    TryDelete(name, snapshot, path);
                }

                throw;
            }
        });

    /// <summary>
    /// Puts the VM back to snapshot <paramref name="snapshot"/>. A running VM resumes exactly where it was then (its
    /// memory and devices are loaded; SnapshotWithoutMemory for a disks-only snapshot). A stopped VM gets its disks
    /// back, and boots afresh from them (the saved memory, if any, is loaded only into a running VM). Returns the snapshot.
    /// </summary>
    public VmSnapshot Restore(string name, string snapshot, CancellationToken cancellationToken = default)
    {
        var (_, disks) = SnapshotDisks(name, cancellationToken);
        var target = Complete(name, snapshot, disks);
        var paths = disks.Select(d => d.Disk.Path).ToArray();
        Act(name, $"restore checkpoint '{snapshot}'", cancellationToken, qmp =>
        {
            if (!target.HasMemory)
            {
                throw HeadlessVmErrors.SnapshotWithoutMemory(name, snapshot);
            }

            var nodes = NodeNames(qmp, name, paths);
            var vmstate = nodes[System.Array.FindIndex(disks, d => d.Snapshots.Any(s => s.Name == snapshot && s.VmStateSize > 0))];
            RunJob(qmp, name, "snapshot-load", snapshot, new JsonObject
            {
                ["tag"] = snapshot,
                ["vmstate"] = vmstate,
                ["devices"] = Array(nodes),
            }, cancellationToken);
        }, () =>
        {
            foreach (var path in paths)
            {
                _disks.Snapshot(name, SnapshotAction.Apply, snapshot, path, cancellationToken);
            }

            if (target.HasMemory)
            {
                _host.Warning($"VM '{name}' is stopped: its disks are back as they were at snapshot '{snapshot}', and it will boot afresh from them. " +
                    "To resume the guest where it was, start the VM and restore the snapshot again.");
            }
        });

        return target;
    }

    /// <summary>Deletes snapshot <paramref name="snapshot"/> from every disk that holds it; returns it as it was.</summary>
    public VmSnapshot Remove(string name, string snapshot, CancellationToken cancellationToken = default)
    {
        var spec = _store.Get(name);
        var found = spec.Disks.Select(d => _disks.Describe(d.Path, cancellationToken)).ToArray();
        var target = Group(name, found.SelectMany(d => d.Snapshots)).FirstOrDefault(s => s.SnapshotName == snapshot)
            ?? throw HeadlessVmErrors.SnapshotNotFound(name, snapshot);
        var paths = target.DiskPath.ToArray();
        Act(name, $"remove checkpoint '{snapshot}'", cancellationToken, qmp =>
            RunJob(qmp, name, "snapshot-delete", snapshot, new JsonObject
            {
                ["tag"] = snapshot,
                ["devices"] = Array(NodeNames(qmp, name, paths)),
            }, cancellationToken), () =>
        {
            foreach (var path in paths)
            {
                _disks.Snapshot(name, SnapshotAction.Delete, snapshot, path, cancellationToken);
            }
        });

        SnapshotNotes.Set(name, _store.Paths.ForVm(name), snapshot, null, _host);
        return target;
    }

    private VmSnapshot Find(string name, string snapshot, CancellationToken cancellationToken) =>
        List(name, cancellationToken).FirstOrDefault(s => s.SnapshotName == snapshot) ?? throw HeadlessVmErrors.SnapshotNotFound(name, snapshot);

    /// <summary>The snapshot on every one of the VM's disks: SnapshotNotFound on none, SnapshotIncomplete when a disk lacks it.</summary>
    private static VmSnapshot Complete(string name, string snapshot, (VmDisk Disk, IReadOnlyList<DiskSnapshot> Snapshots)[] disks)
    {
        var target = Group(name, disks.SelectMany(d => d.Snapshots)).FirstOrDefault(s => s.SnapshotName == snapshot)
            ?? throw HeadlessVmErrors.SnapshotNotFound(name, snapshot);
        if (disks.FirstOrDefault(d => d.Snapshots.All(s => s.Name != snapshot)) is { Disk: { } missing })
        {
            throw HeadlessVmErrors.SnapshotIncomplete(name, snapshot, missing.Path);
        }

        return target;
    }

    /// <summary>
    /// The VM's disks with their snapshots, each one qcow2 both as the VM uses it and in its content: NoSnapshotDisk
    /// without disks, DiskCannotSnapshot naming the first disk that is not (a raw disk, or one converted since).
    /// </summary>
    private (VmSpec Spec, (VmDisk Disk, IReadOnlyList<DiskSnapshot> Snapshots)[] Disks) SnapshotDisks(string name, CancellationToken cancellationToken)
    {
        var spec = _store.Get(name);
        if (spec.Disks.Count == 0)
        {
            throw HeadlessVmErrors.NoSnapshotDisk(name);
        }

        var disks = new List<(VmDisk, IReadOnlyList<DiskSnapshot>)>();
        foreach (var disk in spec.Disks)
        {
            if (!string.Equals(disk.Format, "qcow2", StringComparison.OrdinalIgnoreCase))
            {
                throw HeadlessVmErrors.DiskCannotSnapshot(name, disk.Path, disk.Format);
            }

            var described = _disks.Describe(disk.Path, cancellationToken);
            if (described.Disk.Format != "qcow2")
            {
                throw HeadlessVmErrors.DiskCannotSnapshot(name, described.Disk.Path, described.Disk.Format + " (the VM tells qemu it is qcow2)");
            }

            disks.Add(described);
        }

        return (spec, disks.ToArray());
    }

    /// <summary>
    /// Runs <paramref name="running"/> over QMP when the VM runs, else <paramref name="stopped"/> (qemu-img) under the
    /// store lock, so that no start opens the disks meanwhile.
    /// </summary>
    private void Act(string name, string action, CancellationToken cancellationToken, Action<QmpClient> running, Action stopped)
    {
        var vm = _store.Paths.ForVm(name);
        using (_store.Lock(cancellationToken))
        {
            if (QemuProcess.Find(vm) is null)
            {
                // qemu-img writes the images, which a running VM of the store may hold (as its disk or a backing file).
                _diskHolders.Check(_store.Get(name), DiskAccess.WriteImage, action, cancellationToken);
                stopped();
                return;
            }
        }

        _monitor.Session(name, vm, cancellationToken, running, JobTimeout);
    }

    private static JsonArray Array(IEnumerable<string> nodes) => new(nodes.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray());

    private void TryDelete(string name, string snapshot, string path)
    {
        try
        {
            _disks.Snapshot(name, SnapshotAction.Delete, snapshot, path);
        }
        catch (HeadlessVmException ex)
        {
            _host.Warning($"Could not take back the part of snapshot '{snapshot}' already made on '{path}': {ex.Message}");
        }
    }

    /// <summary>The disks' snapshots as the VM's checkpoints, one per name, described from <paramref name="notes"/> when given.</summary>
    private static IEnumerable<VmSnapshot> Group(string name, IEnumerable<DiskSnapshot> snapshots, SnapshotNotes? notes = null) =>
        snapshots.GroupBy(s => s.Name, StringComparer.Ordinal).Select(g =>
        {
            var first = g.OrderByDescending(s => s.VmStateSize).First();
            var size = g.Sum(s => s.VmStateSize);
            return new VmSnapshot
            {
                VmName = name,
                SnapshotName = g.Key,
                Description = notes?.Descriptions.GetValueOrDefault(g.Key),
                Created = first.Created,
                HasMemory = size > 0,
                VmStateSize = size,
                VmClock = first.VmClock,
                DiskPath = new ValueList(g.Select(s => s.Path)),
            };
        });
}
