namespace HeadlessVm.Core.Libvirt;

/// <summary>virDomainEventType (libvirt-domain.h): what happened to a domain.</summary>
public enum DomainLifecycleEventType
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Suspended = 3,
    Resumed = 4,
    Stopped = 5,
    Shutdown = 6,
    PMSuspended = 7,
    Crashed = 8,
}

/// <summary>
/// One lifecycle event as libvirt delivered it (VIR_DOMAIN_EVENT_ID_LIFECYCLE). <see cref="Detail"/> is the
/// per-type detail enum of libvirt-domain.h, e.g. for <see cref="DomainLifecycleEventType.Stopped"/>
/// virDomainEventStoppedDetailType (0 shutdown, 1 destroyed, 2 crashed, 3 migrated, 4 saved, 5 failed,
/// 6 from snapshot) and for <see cref="DomainLifecycleEventType.Started"/> virDomainEventStartedDetailType
/// (0 booted, 1 migrated, 2 restored, 3 from snapshot, 4 wakeup). <see cref="Received"/> is when the loop
/// thread queued it.
/// </summary>
public sealed record DomainLifecycleEvent(string DomainName, Guid DomainUuid, DomainLifecycleEventType Type, int Detail, DateTimeOffset Received);
