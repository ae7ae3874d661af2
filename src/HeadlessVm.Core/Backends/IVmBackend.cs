using System.Text.RegularExpressions;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Backends;

/// <summary>
/// A place VMs live: today the folder store with its qemu processes (Folder.FolderBackend); a libvirt
/// connection next. VMs are named by strings, unique within one backend. Every method reads the
/// system afresh (nothing is cached between calls), reports through the backend's <see cref="IVmHost"/>
/// on the caller's thread, and fails with a <see cref="HeadlessVmException"/> whose target is the VM:
/// VmNotFound for a name it does not hold, VmNotRunning for an action that needs a running VM. Waits
/// honour the token: cancelling stops the waiting, never the VM.
/// </summary>
public interface IVmBackend
{
    /// <summary>Where its VMs live: <see cref="HostTarget.Local"/> for the folder store, a libvirt host otherwise.</summary>
    HostTarget Location { get; }

    /// <summary>The names of its VMs, ordered, without asking any VM anything (for name resolution and completion).</summary>
    IReadOnlyList<string> Names();

    /// <summary>True when it holds a VM of that name.</summary>
    bool Exists(string name);

    /// <summary>
    /// These VMs with their live state, asked concurrently, in the order given; a name that went away
    /// since <see cref="Names"/> is left out.
    /// </summary>
    IReadOnlyList<VmInfo> Inspect(IReadOnlyList<string> names);

    /// <summary>
    /// As <see cref="Inspect(IReadOnlyList{string})"/>, except that a VM that cannot be read (a store VM whose
    /// record is damaged, a foreign domain whose XML HeadlessVm cannot parse) is handed to
    /// <paramref name="failed"/> and left out, so the others still list.
    /// </summary>
    IReadOnlyList<VmInfo> Inspect(IReadOnlyList<string> names, Action<string, Exception> failed) => Inspect(names);

    /// <summary>One VM with its live state.</summary>
    VmInfo Get(string name);

    /// <summary>
    /// Creates a VM from a validated-or-not <paramref name="draft"/> (Backends.VmDraftValidator checks
    /// it) and starts it unless <paramref name="start"/> is false; <paramref name="paused"/> starts it
    /// with its CPUs stopped. <paramref name="vncDisplay"/> is the user's choice of display, null to
    /// pick one. On failure nothing of it is left behind.
    /// </summary>
    VmInfo Create(VmSpec draft, int? vncDisplay, bool start, bool paused, CancellationToken cancellationToken);

    /// <summary>Starts a stopped VM (a running one is returned as it is).</summary>
    VmInfo Start(string name, bool paused, CancellationToken cancellationToken);

    /// <summary>
    /// Stops these VMs together: the ACPI power button for every one, then one wait of
    /// <paramref name="timeout"/> for them all, then power off (with a warning) for those still up;
    /// <paramref name="force"/> powers off at once. Each VM ends in <paramref name="stopped"/> or
    /// <paramref name="failed"/>, on the caller's thread. A stopped VM's console bridge stops too.
    /// </summary>
    void Stop(IReadOnlyList<string> names, TimeSpan timeout, bool force, Action<VmInfo> stopped, Action<string, Exception> failed, CancellationToken cancellationToken);

    /// <summary>Pauses the guest's CPUs.</summary>
    VmInfo Suspend(string name, CancellationToken cancellationToken);

    /// <summary>Runs the guest's CPUs again (also the first time, after a paused start).</summary>
    VmInfo Resume(string name, CancellationToken cancellationToken);

    /// <summary>A hard reset, like pressing the reset button; the VM's process and ports stay.</summary>
    VmInfo Restart(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the VM and what the module made for it (never the user's ISO or disk images) and
    /// returns it as it was. A running VM is VmIsRunning unless <paramref name="force"/>, which powers it
    /// off first. A VM whose record is damaged goes only with <paramref name="force"/>, and returns null
    /// (there is nothing to describe it with).
    /// </summary>
    VmInfo? Remove(string name, bool force, CancellationToken cancellationToken);

    /// <summary>Writes the VM's screen to <paramref name="path"/> (absolute, in an existing folder) as a PNG.</summary>
    FileInfo SaveScreenshot(string name, string path, CancellationToken cancellationToken);

    /// <summary>Presses each combination in turn, each held <paramref name="holdTimeMs"/> milliseconds, in order.</summary>
    void SendKeys(string name, IReadOnlyList<KeyCombination> keys, int holdTimeMs, CancellationToken cancellationToken);

    /// <summary>The lines of the VM's serial console for its current (or last) boot; the last <paramref name="tail"/> when given.</summary>
    IReadOnlyList<string> ReadSerial(string name, int? tail);

    /// <summary>
    /// The first serial line of this boot matching <paramref name="pattern"/> (with
    /// <paramref name="newOutputOnly"/>, the first printed after the call); VmNotRunning when the VM stops
    /// first, SerialTextWaitTimeout at <paramref name="deadline"/> (UTC).
    /// </summary>
    SerialMatch WaitForText(string name, Regex pattern, DateTime deadline, bool newOutputOnly, CancellationToken cancellationToken);

    /// <summary>Waits until the VM is Running, Paused or Stopped; VmStateWaitTimeout at <paramref name="deadline"/> (UTC).</summary>
    VmInfo WaitForState(string name, VmState state, DateTime deadline, CancellationToken cancellationToken);

    /// <summary>
    /// Changes the VM's settings, all or nothing, with New-HeadlessVm's checks (VmDraftValidator.Apply), and returns it
    /// as it then is. A running VM takes only what qemu changes live (its ISO, if it started with one, and its port
    /// forwards); anything else is VmMustBeStopped before anything changes. NotSupportedOnHost where the backend cannot yet.
    /// </summary>
    VmInfo Set(string name, VmChange change, CancellationToken cancellationToken);

    /// <summary>
    /// Makes VM <paramref name="newName"/> a copy of VM <paramref name="name"/> with a new MAC address and its own disks
    /// (full copies with progress, or with <paramref name="linked"/> qcow2 overlays on the source's disks) in <paramref name="diskFolder"/>
    /// (each source disk's folder when null), and returns it, stopped. A running source is copied only from checkpoint
    /// <paramref name="snapshotName"/>. On failure nothing of the copy is left.
    /// </summary>
    VmInfo Copy(string name, string newName, bool linked, string? snapshotName, string? diskFolder, CancellationToken cancellationToken);

    /// <summary>
    /// The VM's checkpoints (snapshots of one name on all its disks, with its memory when taken while it ran), oldest
    /// first. NotSupportedOnHost where the backend has none yet.
    /// </summary>
    IReadOnlyList<VmSnapshot> GetSnapshots(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Takes checkpoint <paramref name="snapshotName"/>: memory, devices and disks of a running VM (its CPUs stop while it
    /// is written), the disks of a stopped one. InvalidSnapshotName, SnapshotExists, NoSnapshotDisk, DiskCannotSnapshot
    /// (a disk that is not qcow2) before anything changes. A null name is VM-yyyyMMdd-HHmmss (local time); <paramref name="description"/> is kept with it.
    /// </summary>
    VmSnapshot Checkpoint(string name, string? snapshotName, string? description, CancellationToken cancellationToken);

    /// <summary>
    /// Puts the VM back to checkpoint <paramref name="snapshotName"/> (a running VM resumes where it was then; a stopped
    /// one gets its disks back). SnapshotNotFound, SnapshotIncomplete (a disk lacks it), SnapshotWithoutMemory (a running
    /// VM and a disks-only checkpoint), DiskCannotSnapshot.
    /// </summary>
    VmSnapshot RestoreSnapshot(string name, string snapshotName, CancellationToken cancellationToken);

    /// <summary>Deletes checkpoint <paramref name="snapshotName"/> from every disk that holds it; SnapshotNotFound when none does.</summary>
    VmSnapshot RemoveSnapshot(string name, string snapshotName, CancellationToken cancellationToken);

    /// <summary>Where the running VM's screen is served from this machine; null when it is not running or does not exist.</summary>
    ConsoleEndpoint? FindConsoleEndpoint(string name);
}
