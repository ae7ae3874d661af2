using System.Runtime.InteropServices;
using System.Threading.Channels;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// A domain's console as a stream of byte chunks. The stream is non-blocking; when libvirt says it is readable
/// the event loop thread copies what has arrived (virStreamRecv, which never waits on such a stream) into a
/// queue, and <see cref="ReadAsync"/> hands the chunks out. The native callback never throws. The stream ends
/// when the domain stops or another client forces the console away. Dispose to close it (virStreamAbort).
/// </summary>
public sealed class LibvirtConsole : IDisposable
{
    private const int ChunkSize = 16 * 1024;

    private readonly StreamHandle _stream;
    private readonly Channel<byte[]> _chunks =
        Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private LibvirtException? _failure;
    private int _ended;
    private int _disposed;
    private bool _callbackRegistered;

    private LibvirtConsole(StreamHandle stream, string domainName)
    {
        _stream = stream;
        DomainName = domainName;
    }

    /// <summary>The domain whose console this is.</summary>
    public string DomainName { get; }

    /// <summary>
    /// The next chunk of console output, waiting for one; null when the console ended (the domain stopped).
    /// One reader at a time.
    /// Throws <see cref="LibvirtException"/> when the stream failed and <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_chunks.Reader.TryRead(out var chunk))
            {
                return chunk;
            }
        }

        return _failure is null ? null : throw _failure;
    }

    /// <summary>Stops the events, aborts the stream and frees it; queued output is dropped. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_callbackRegistered && StreamApi.virStreamEventRemoveCallback(_stream) < 0)
        {
            ErrorApi.Reset();
        }

        // A stream given up before its end must be aborted before it is freed (libvirt-stream.c, virStreamFree).
        if (StreamApi.virStreamAbort(_stream) < 0)
        {
            ErrorApi.Reset();
        }

        _stream.Dispose();
        _chunks.Writer.TryComplete();
    }

    internal static unsafe LibvirtConsole Attach(StreamHandle stream, string domainName)
    {
        var console = new LibvirtConsole(stream, domainName);

        // Released by libvirt through OnFree once the callback is removed and no dispatch uses it.
        var opaque = GCHandle.Alloc(console);
        var events = StreamApi.EventReadable | StreamApi.EventError | StreamApi.EventHangup;
        if (StreamApi.virStreamEventAddCallback(stream, events, &OnStreamEvent, GCHandle.ToIntPtr(opaque), &OnFree) < 0)
        {
            var error = LibvirtErrors.FromLastError(domainName, LibvirtCall.Console);
            opaque.Free();
            throw error;
        }

        console._callbackRegistered = true;
        return console;
    }

    /// <summary>Runs on the event loop thread: copies every chunk that has arrived, then returns.</summary>
    private unsafe void Drain(IntPtr stream, int events)
    {
        if (Volatile.Read(ref _ended) != 0)
        {
            return;
        }

        var buffer = stackalloc byte[ChunkSize];
        while (true)
        {
            // Non-blocking stream: >0 bytes, -2 nothing yet, 0 the end, -1 an error (libvirt-stream.c, virStreamRecv).
            var n = StreamApi.virStreamRecv(stream, buffer, ChunkSize);
            if (n > 0)
            {
                _chunks.Writer.TryWrite(new ReadOnlySpan<byte>(buffer, n).ToArray());
                continue;
            }

            if (n == StreamApi.WouldBlock)
            {
                if ((events & (StreamApi.EventError | StreamApi.EventHangup)) == 0)
                {
                    return;
                }
            }
            else if (n < 0)
            {
                _failure = LibvirtErrors.FromLastError(DomainName, LibvirtCall.Console);
            }

            End(stream);
            return;
        }
    }

    private void End(IntPtr stream)
    {
        Volatile.Write(ref _ended, 1);

        // No more events for a finished stream, or libvirt would keep reporting it readable.
        if (StreamApi.virStreamEventUpdateCallback(stream, 0) < 0)
        {
            ErrorApi.Reset();
        }

        _chunks.Writer.TryComplete();
    }

    [UnmanagedCallersOnly]
    private static void OnStreamEvent(IntPtr stream, int events, IntPtr opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is LibvirtConsole console)
            {
                console.Drain(stream, events);
            }
        }
        catch (Exception)
        {
            // Nothing may unwind into libvirt's C frames.
        }
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
            // As above.
        }
    }
}
