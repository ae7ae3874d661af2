using System.Runtime.InteropServices;
using System.Threading.Channels;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// Lifecycle events of every domain on one connection, queued by the event loop thread for the caller to read
/// from <see cref="Events"/> (virConnectDomainEventRegisterAny with VIR_DOMAIN_EVENT_ID_LIFECYCLE). The native
/// callback only copies the domain's name and UUID and enqueues; it never throws into libvirt. Disposing
/// deregisters the callback (before its connection closes: <see cref="LibvirtConnection.Dispose"/> does it for
/// subscriptions still open) and completes <see cref="Events"/>.
/// </summary>
public sealed class DomainLifecycleSubscription : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly Channel<DomainLifecycleEvent> _channel =
        Channel.CreateUnbounded<DomainLifecycleEvent>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    private int _callbackId = -1;

    private DomainLifecycleSubscription(LibvirtConnection connection)
    {
        _connection = connection;
    }

    /// <summary>The events in the order libvirt delivered them; completes when the subscription is disposed.</summary>
    public ChannelReader<DomainLifecycleEvent> Events => _channel.Reader;

    /// <summary>
    /// Reads events until one satisfies <paramref name="match"/> or <paramref name="timeout"/> passes; returns it,
    /// or null on timeout or when the subscription ends. Events read on the way are consumed.
    /// </summary>
    public async Task<DomainLifecycleEvent?> WaitForAsync(Func<DomainLifecycleEvent, bool> match, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await foreach (var e in _channel.Reader.ReadAllAsync(deadline.Token).ConfigureAwait(false))
            {
                if (match(e))
                {
                    return e;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        return null;
    }

    internal static unsafe DomainLifecycleSubscription Register(LibvirtConnection connection, ConnectHandle handle)
    {
        var subscription = new DomainLifecycleSubscription(connection);

        // libvirt owns this handle from here on and releases it through the free callback, after the last
        // dispatch that can use it: so a callback racing with deregistration never sees a freed object.
        var opaque = GCHandle.Alloc(subscription._channel.Writer);
        var callback = (delegate* unmanaged<IntPtr, IntPtr, int, int, IntPtr, int>)&OnLifecycle;
        var id = EventApi.virConnectDomainEventRegisterAny(
            handle, IntPtr.Zero, EventApi.LifecycleEventId, (IntPtr)callback, GCHandle.ToIntPtr(opaque), &OnFree);
        if (id < 0)
        {
            var error = LibvirtErrors.FromLastError(connection.Uri, LibvirtCall.Other);
            opaque.Free();
            throw error;
        }

        subscription._callbackId = id;
        return subscription;
    }

    /// <summary>Deregisters the callback (idempotent) and completes <see cref="Events"/>.</summary>
    public void Dispose()
    {
        var id = Interlocked.Exchange(ref _callbackId, -1);
        if (id >= 0)
        {
            _connection.Deregister(this, id);
        }

        _channel.Writer.TryComplete();
    }

    [UnmanagedCallersOnly]
    private static int OnLifecycle(IntPtr connection, IntPtr domain, int eventType, int detail, IntPtr opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is ChannelWriter<DomainLifecycleEvent> writer)
            {
                var (name, uuid) = DomainIdentity.Read(domain);
                writer.TryWrite(new DomainLifecycleEvent(name, uuid, (DomainLifecycleEventType)eventType, detail, DateTimeOffset.UtcNow));
            }
        }
        catch (Exception)
        {
            // An exception must never unwind into libvirt's C frames; a lost event is the lesser harm.
        }

        return 0;
    }

    [UnmanagedCallersOnly]
    private static void OnFree(IntPtr opaque)
    {
        try
        {
            GCHandle.FromIntPtr(opaque).Free();
        }
        catch (Exception)
        {
            // As above: nothing may escape into libvirt.
        }
    }
}
