using HeadlessVm.Core.Model;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Qemu;

/// <summary>
/// The store's side of <see cref="SharedResources.ChainHolder"/>: before qemu or qemu-img opens a VM's disks, finds the
/// running VM of the store whose disk or backing chain clashes with them, reading each chain with qemu-img info
/// --backing-chain, and refuses with DiskInUse naming that VM rather than leave qemu's lock message ("Failed to get
/// shared 'write' lock"), which names no VM. Call it under the store lock, so that no start slips in between.
/// </summary>
public sealed class DiskHolders
{
    private readonly VmStore _store;
    private readonly DiskImages _disks;

    public DiskHolders(VmStore store, DiskImages disks)
    {
        _store = store;
        _disks = disks;
    }

    /// <summary>
    /// DiskInUse when VM <paramref name="spec"/> (not running itself) cannot <paramref name="action"/> ("start", "take a
    /// checkpoint") with <paramref name="access"/> to its disks because of a running VM of the store.
    /// </summary>
    public void Check(VmSpec spec, DiskAccess access, string action, CancellationToken cancellationToken)
    {
        if (spec.Disks.Count == 0)
        {
            return;
        }

        var running = _store.List().Where(o => o.Name != spec.Name && o.Disks.Count > 0 && QemuProcess.Find(_store.Paths.ForVm(o.Name)) is not null).ToArray();
        if (running.Length == 0)
        {
            return;
        }

        var chains = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        IReadOnlyList<string> Chain(string path)
        {
            if (!chains.TryGetValue(path, out var chain))
            {
                chains[path] = chain = _disks.BackingChain(path, cancellationToken);
            }

            return chain;
        }

        if (SharedResources.ChainHolder(spec, access, running, Chain) is { } clash)
        {
            throw clash.ToError(spec.Name, action);
        }
    }
}
