namespace HeadlessVm.Core.Libvirt;

/// <summary>virDomainState (libvirt-domain.h).</summary>
public enum LibvirtDomainState
{
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,
    ShuttingDown = 4,
    Shutoff = 5,
    Crashed = 6,
    PMSuspended = 7,
}

/// <summary>
/// A domain's state and the reason for it; <see cref="Reason"/> is the per-state reason enum of libvirt-domain.h
/// (e.g. virDomainPausedReason 1 user, 7 starting up; virDomainShutoffReason 1 shutdown, 2 destroyed).
/// </summary>
public sealed record LibvirtDomainStatus(LibvirtDomainState State, int Reason);

/// <summary>A domain's name and UUID, as returned after defining it.</summary>
public sealed record LibvirtDomainId(string Name, Guid Uuid);

/// <summary>
/// One domain in a listing, all from one virConnectGetAllDomainStats call. <see cref="Id"/> is the running
/// domain's id (null when inactive). Memory is in KiB (balloon.current, balloon.maximum), CPU time in
/// nanoseconds (cpu.time), vCPUs from vcpu.current; each is null when the driver did not report it (libvirt's
/// test driver reports only the state; the QEMU driver reports them for running domains).
/// </summary>
public sealed record LibvirtDomainInfo(
    string Name,
    Guid Uuid,
    int? Id,
    LibvirtDomainStatus Status,
    ulong? MemoryKiB,
    ulong? MaxMemoryKiB,
    uint? VirtualCpus,
    ulong? CpuTimeNanoseconds);

/// <summary>A screenshot as libvirt returned it: the MIME type its driver chose ("image/png" or "image/x-portable-pixmap" for PPM) and the bytes.</summary>
public sealed record LibvirtScreenshot(string MimeType, byte[] Data);
