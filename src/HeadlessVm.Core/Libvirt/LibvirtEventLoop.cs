using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// The process's one libvirt event loop: libvirt's default implementation, registered once before the first
/// connection opens, run by one background thread for the rest of the process. It delivers domain events,
/// console stream data and remote keepalives (libvirt-event.h, virEventRegisterDefaultImpl and
/// virEventRunDefaultImpl; "Applications ... must register an event implementation before opening a connection"
/// is libvirt's rule for events and keepalive, virConnectSetKeepAlive).
/// </summary>
public static class LibvirtEventLoop
{
    /// <summary>The name of the loop's thread (seen in debuggers and dumps).</summary>
    public const string ThreadName = "libvirt-events";

    private static readonly object Gate = new();
    private static Thread? _thread;
    private static long _iterations;

    /// <summary>
    /// Loads libvirt, registers the default event implementation and starts the loop thread, once per process;
    /// later calls return at once. Safe from any thread. <see cref="LibvirtConnection.Open"/> calls it, so callers
    /// rarely need to. Throws <see cref="LibvirtException"/> <c>LibvirtNotInstalled</c> without libvirt0.
    /// </summary>
    public static void EnsureStarted()
    {
        LibvirtLibrary.EnsureLoaded();
        lock (Gate)
        {
            if (_thread is not null)
            {
                return;
            }

            if (EventApi.virEventRegisterDefaultImpl() < 0)
            {
                throw LibvirtErrors.FromLastError(target: null, LibvirtCall.Other);
            }

            var thread = new Thread(Run) { IsBackground = true, Name = ThreadName };
            thread.Start();
            _thread = thread;
        }
    }

    /// <summary>True once <see cref="EnsureStarted"/> has started the loop thread.</summary>
    public static bool IsStarted
    {
        get
        {
            lock (Gate)
            {
                return _thread is not null;
            }
        }
    }

    /// <summary>How many times the loop has run one iteration (a diagnostic: it grows while events flow).</summary>
    public static long Iterations => Interlocked.Read(ref _iterations);

    /// <summary>The last error an iteration reported, or null; the loop itself keeps running.</summary>
    public static LibvirtError? LastLoopError { get; private set; }

    private static void Run()
    {
        // The loop never ends: libvirt has no API to unregister the default implementation, and a background
        // thread does not keep the process alive. Each iteration blocks in poll() until a handle or timer fires.
        while (true)
        {
            if (EventApi.virEventRunDefaultImpl() < 0)
            {
                LastLoopError = ErrorApi.TakeLast();
                Thread.Sleep(100);
            }

            Interlocked.Increment(ref _iterations);
        }
    }
}
