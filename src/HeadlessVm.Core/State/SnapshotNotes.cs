namespace HeadlessVm.Core.State;

/// <summary>
/// The descriptions of a store VM's checkpoints (Checkpoint-HeadlessVm -Description), by checkpoint name, in the VM's
/// snapshots.json (0600): qcow2's snapshot table has no room for them. Read and written here only.
/// </summary>
public sealed record SnapshotNotes
{
    public Dictionary<string, string> Descriptions { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The VM's notes; none when the file is missing, and none with a warning to <paramref name="host"/> when it is damaged.</summary>
    public static SnapshotNotes Read(string vmName, StatePaths.VmFiles vm, IVmHost host)
    {
        var read = RecordFiles.ReadJson<SnapshotNotes>(vm.SnapshotNotesFile, n => n.Descriptions is null ? "it has no descriptions" : null);
        if (read.Damaged)
        {
            host.Warning($"VM '{vmName}': the descriptions of its checkpoints ({vm.SnapshotNotesFile}) are damaged ({read.Damage}), so none are shown; " +
                "the checkpoints themselves are in its disk images and unharmed.");
        }

        return read.Value is { } notes ? notes with { Descriptions = new(notes.Descriptions, StringComparer.Ordinal) } : new SnapshotNotes();
    }

    /// <summary>Writes the notes with <paramref name="snapshot"/> described as <paramref name="description"/> (removed when null).</summary>
    public static void Set(string vmName, StatePaths.VmFiles vm, string snapshot, string? description, IVmHost host)
    {
        var notes = Read(vmName, vm, host);
        if (description is null && !notes.Descriptions.Remove(snapshot))
        {
            return;
        }

        if (description is not null)
        {
            notes.Descriptions[snapshot] = description;
        }

        JsonRecords.Write(vm.SnapshotNotesFile, notes, durable: true);
    }
}
