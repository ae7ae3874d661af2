using Microsoft.Win32.SafeHandles;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>An open <c>virConnectPtr</c>; releasing it calls <c>virConnectClose</c>.</summary>
internal sealed class ConnectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public ConnectHandle()
        : base(ownsHandle: true)
    {
    }

    // virConnectClose returns the remaining reference count, or -1 on error (libvirt-host.h).
    protected override bool ReleaseHandle() => ConnectApi.virConnectClose(handle) >= 0;
}

/// <summary>A <c>virDomainPtr</c> reference; releasing it calls <c>virDomainFree</c>.</summary>
internal sealed class DomainHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DomainHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of a reference libvirt handed out in an array (virConnectListAllDomains).</summary>
    internal DomainHandle(IntPtr existing)
        : base(ownsHandle: true)
    {
        SetHandle(existing);
    }

    protected override bool ReleaseHandle() => DomainApi.virDomainFree(handle) == 0;
}

/// <summary>A <c>virStreamPtr</c>; releasing it calls <c>virStreamFree</c> (the owner aborts or finishes first).</summary>
internal sealed class StreamHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StreamHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => StreamApi.virStreamFree(handle) == 0;
}
