namespace HeadlessVm.Core.Model;

/// <summary>
/// A checkpoint of a VM (Checkpoint-HeadlessVm): the qcow2 internal snapshot of one name on the VM's disks,
/// with the machine's memory and device state when it was taken while the VM ran. Complete when built.
/// The folder store reads it from the qcow2 snapshot tables (qemu-img); a libvirt host from its snapshot
/// metadata (virDomainSnapshotGetXMLDesc, docs/formatsnapshot.rst), which gives no sizes or guest clock:
/// <see cref="VmStateSize"/> and <see cref="VmClock"/> are null there.
/// <see cref="VmName"/> binds to the snapshot cmdlets' -Name (alias VmName) and <see cref="SnapshotName"/> to
/// their -SnapshotName, so <c>Get-HeadlessVmSnapshot web1 | Remove-HeadlessVmSnapshot</c> works.
/// </summary>
public sealed class VmSnapshot
{
    /// <summary>The VM the snapshot belongs to.</summary>
    public required string VmName { get; init; }

    /// <summary>The snapshot's name (its qcow2 tag, the same on every disk).</summary>
    public required string SnapshotName { get; init; }

    /// <summary>What the user said about it (Checkpoint-HeadlessVm -Description); null when nothing.</summary>
    public string? Description { get; init; }

    /// <summary>When it was taken, in local time: the qcow2 snapshot table's date-sec and date-nsec, or libvirt's creationTime (whole seconds).</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>
    /// True when it holds the machine's memory and devices (taken while the VM ran), so a restore resumes the guest: a
    /// saved state in the qcow2 table (vm-state-size above 0), or libvirt's &lt;memory snapshot='internal'&gt; (else its
    /// &lt;state&gt; running or paused).
    /// </summary>
    public bool HasMemory { get; init; }

    /// <summary>The size of the saved machine state in bytes (qcow2 vm-state-size); 0 for a disk-only snapshot, null where the host does not say (libvirt).</summary>
    public long? VmStateSize { get; init; }

    /// <summary>How long the guest had run when the snapshot was taken (qcow2 vm-clock-sec, vm-clock-nsec); null where the host does not say (libvirt).</summary>
    public TimeSpan? VmClock { get; init; }

    /// <summary>The disks that hold it, as absolute paths (on a libvirt host, paths on that host).</summary>
    public required ValueList DiskPath { get; init; }

    /// <summary>The host of the VM: "local" for the folder store, else the libvirt host's name.</summary>
    public string ComputerName { get; init; } = VmInfo.LocalComputerName;

    /// <summary>The libvirt URI the VM was reached by; null for the folder store.</summary>
    public string? ConnectionUri { get; init; }

    public override string ToString() => SnapshotName;
}
