using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Hosts;

/// <summary>
/// One place VMs live, as a command names it: the folder store (<see cref="Local"/>, no URI) or a libvirt
/// daemon reached by <see cref="ConnectionUri"/>. <see cref="ComputerName"/> is how it is shown and what
/// VmInfo.ComputerName carries: "local", a registered host's name, a host name given as -ComputerName, or the
/// host part of a raw URI ("localhost" when the URI names none).
/// </summary>
public sealed record HostTarget(string ComputerName, string? ConnectionUri)
{
    /// <summary>The folder store on this machine.</summary>
    public static HostTarget Local { get; } = new(VmInfo.LocalComputerName, null);

    /// <summary>True for the folder store.</summary>
    public bool IsLocalStore => ConnectionUri is null;

    /// <summary>
    /// True when the VMs' files and VNC servers are on this machine: the folder store, or a libvirt URI with no
    /// network transport (qemu:///system, qemu+unix://...). Paths given for such a host are resolved here.
    /// </summary>
    public bool IsThisMachine => ConnectionUri is null || !LibvirtUri.IsRemote(ConnectionUri);

    public override string ToString() => ComputerName;
}
