namespace HeadlessVm.Core.Model;

public enum VmState
{
    /// <summary>qemu is not running for this VM.</summary>
    Stopped,
    Running,
    Paused,
    /// <summary>The guest stopped on an error (internal-error, guest-panicked, io-error).</summary>
    Crashed,
    /// <summary>qemu's process is there but its control socket does not answer.</summary>
    Unresponsive,
    /// <summary>Starting, migrating, saving, or another transient qemu state.</summary>
    Other,
}

public enum AcceleratorKind
{
    Auto,
    Kvm,
    Tcg,
}

public enum NetworkMode
{
    /// <summary>qemu's user-mode network (slirp): outbound connections, and port forwards on the host.</summary>
    User,

    /// <summary>No network adapter.</summary>
    None,

    /// <summary>
    /// Another kind of network that HeadlessVm lists but does not create: a libvirt network or bridge of a
    /// domain defined elsewhere (New-HeadlessVm refuses it).
    /// </summary>
    Other,
}

/// <summary>
/// Who made a VM: HeadlessVm (every VM of the folder store, and libvirt domains carrying HeadlessVm's
/// metadata element) or something else (virt-install, virt-manager, virsh define): such a VM is listed and
/// its console, screen, keys and power work, but Remove-HeadlessVm needs -Force and never deletes its disks.
/// </summary>
public enum ManagedBy
{
    HeadlessVm,
    External,
}
