using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>The default event loop and domain event registration (libvirt-event.h, libvirt-domain.h).</summary>
internal static unsafe partial class EventApi
{
    /// <summary>virDomainEventID: VIR_DOMAIN_EVENT_ID_LIFECYCLE (callback type virConnectDomainEventCallback).</summary>
    internal const int LifecycleEventId = 0;

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virEventRegisterDefaultImpl();

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virEventRunDefaultImpl();

    /// <summary>
    /// <paramref name="callback"/> is registered as the generic callback type and cast back by libvirt to the
    /// type that <paramref name="eventId"/> implies (libvirt-domain.h, VIR_DOMAIN_EVENT_CALLBACK).
    /// </summary>
    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virConnectDomainEventRegisterAny(
        ConnectHandle conn,
        IntPtr domain,
        int eventId,
        IntPtr callback,
        IntPtr opaque,
        delegate* unmanaged<IntPtr, void> freeCallback);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virConnectDomainEventDeregisterAny(ConnectHandle conn, int callbackId);
}
