using System.Net;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Qemu;

/// <summary>
/// What a VM can share on record with the other VMs of its store, and only one of them use at a time: the host
/// ports it forwards and the disk images it writes. A lab recreated beside its original (Import-Csv | New-HeadlessVm
/// with new names) or a copy shares both: its creation warns, and the start of the second one is refused naming the VM
/// that holds them. A chosen MAC address is shared the same way by a recreated VM: harmless while each VM has its own
/// user-mode network, but two NICs with one MAC on a shared network (a bridge given through -ExtraArgument) clash, so
/// its creation warns too.
/// </summary>
public static class SharedResources
{
    /// <summary>
    /// The first of <paramref name="running"/> that forwards <paramref name="forward"/>'s host port on the same address,
    /// or on a wildcard address on either side (0.0.0.0 or :: takes the port on every address); null for none.
    /// </summary>
    public static VmSpec? ForwardHolder(PortForward forward, IEnumerable<VmSpec> running) =>
        running.FirstOrDefault(o => o.PortForwards.Any(f => f.HostPort == forward.HostPort && Overlap(f.HostAddress, forward.HostAddress)));

    /// <summary>
    /// The first of <paramref name="running"/> whose disks include <paramref name="disk"/> (the same absolute path); null
    /// for none, and when both VMs run qemu with -snapshot (each writes a temporary overlay, so the image is only read).
    /// Paths reached through other names (links) are left to qemu's own image lock (QemuDiskLocked).
    /// </summary>
    public static VmSpec? DiskHolder(VmSpec spec, string disk, IEnumerable<VmSpec> running) =>
        running.FirstOrDefault(o => o.Disks.Any(d => d.Path == disk) && !(ReadsOnly(spec) && ReadsOnly(o)));

    /// <summary>
    /// The first clash between what <paramref name="spec"/> is about to do with its disks (<paramref name="access"/>) and
    /// what the VMs of <paramref name="running"/> do with theirs, following backing chains both ways
    /// (<paramref name="chain"/>: an image's full path, then its backing files', qemu-img info --backing-chain). A running
    /// VM writes its disk and reads the backing files under it (qemu -snapshot: reads them all); qemu's write lock on an
    /// image and the shared lock of a reader exclude each other, while readers share. Null for none.
    /// </summary>
    public static DiskClash? ChainHolder(VmSpec spec, DiskAccess access, IEnumerable<VmSpec> running, Func<string, IReadOnlyList<string>> chain)
    {
        var others = running.SelectMany(o => o.Disks.Select(e => (Vm: o, Disk: e.Path, Chain: chain(e.Path)))).ToArray();
        foreach (var disk in spec.Disks)
        {
            var mine = chain(disk.Path);
            var writes = access == DiskAccess.WriteImage || (access == DiskAccess.Start && !ReadsOnly(spec)) ? disk.Path : null;
            var reads = access switch
            {
                DiskAccess.WriteImage => Enumerable.Empty<string>(),
                DiskAccess.Start when !ReadsOnly(spec) => mine.Skip(1),
                _ => mine,
            };
            foreach (var (vm, theirs, theirChain) in others)
            {
                if (writes is not null && theirChain.Contains(writes))
                {
                    return new DiskClash(disk.Path, writes, vm.Name, theirs);
                }

                if (!ReadsOnly(vm) && reads.Contains(theirs))
                {
                    return new DiskClash(disk.Path, theirs, vm.Name, theirs);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// A warning for each forward, disk and MAC address that <paramref name="spec"/> shares with one of <paramref name="others"/> (running
    /// or not), naming that VM: said when a VM is created, since the clash itself only shows when both are to run.
    /// </summary>
    public static IEnumerable<string> Warnings(VmSpec spec, IReadOnlyList<VmSpec> others)
    {
        foreach (var forward in spec.PortForwards)
        {
            if (ForwardHolder(forward, others) is { } holder)
            {
                yield return $"VM '{spec.Name}' forwards {forward} as VM '{holder.Name}' does; the two cannot run at once " +
                    "until one of them gets other forwards (Set-HeadlessVm -PortForward).";
            }
        }

        foreach (var disk in spec.Disks)
        {
            if (DiskHolder(spec, disk.Path, others) is { } holder)
            {
                yield return $"VM '{spec.Name}' uses disk '{disk.Path}' as VM '{holder.Name}' does: what one writes, the other finds, " +
                    "and the two cannot run at once. Copy-HeadlessVm copies a VM with its disks.";
            }
        }

        if (spec.MacAddress is { } mac
            && others.FirstOrDefault(o => o.Name != spec.Name && string.Equals(o.MacAddress, mac, StringComparison.OrdinalIgnoreCase)) is { } twin)
        {
            yield return $"VM '{spec.Name}' has MAC address {mac} as VM '{twin.Name}' does: harmless while each has its own user-mode " +
                "network, but on a shared network the two would clash. Give one of them another (Set-HeadlessVm -MacAddress), or let the " +
                "module make one (leave -MacAddress out; from a CSV, an empty MacAddress cell).";
        }
    }

    private static bool ReadsOnly(VmSpec spec) => spec.ExtraArguments.Contains("-snapshot");

    private static bool Overlap(string a, string b) =>
        a == b || IsWildcard(a) || IsWildcard(b) || (IPAddress.TryParse(a, out var x) && IPAddress.TryParse(b, out var y) && x.Equals(y));

    private static bool IsWildcard(string address) =>
        IPAddress.TryParse(address, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any));
}

/// <summary>What a command is about to do with a VM's disks, for <see cref="SharedResources.ChainHolder"/>.</summary>
public enum DiskAccess
{
    /// <summary>qemu starts on them: writes each disk (reads it only under -snapshot) and reads its backing files.</summary>
    Start,

    /// <summary>qemu-img snapshot: writes each disk, without opening its backing files.</summary>
    WriteImage,

    /// <summary>qemu-img convert or create -b: reads each disk and its backing files.</summary>
    Read,
}

/// <summary>
/// A disk <paramref name="Disk"/> that cannot be used now: the image <paramref name="Image"/> of its chain is in the chain
/// of <paramref name="HolderDisk"/>, the disk of the running VM <paramref name="Holder"/>, which writes or reads it.
/// </summary>
public sealed record DiskClash(string Disk, string Image, string Holder, string HolderDisk)
{
    /// <summary>The DiskInUse error for VM <paramref name="name"/>, which cannot <paramref name="action"/>.</summary>
    public HeadlessVmException ToError(string name, string action) => Errors.HeadlessVmErrors.DiskInUse(name, action, Disk, Holder, Image, HolderDisk);
}
