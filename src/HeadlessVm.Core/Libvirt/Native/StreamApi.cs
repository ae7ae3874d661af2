using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>Data streams for screenshots and consoles (libvirt-stream.h).</summary>
internal static unsafe partial class StreamApi
{
    /// <summary>virStreamFlags: VIR_STREAM_NONBLOCK.</summary>
    internal const uint NonBlock = 1;

    /// <summary>virStreamEventType values.</summary>
    internal const int EventReadable = 1 << 0;
    internal const int EventError = 1 << 2;
    internal const int EventHangup = 1 << 3;

    /// <summary>virStreamRecv's result for a non-blocking stream with no data yet.</summary>
    internal const int WouldBlock = -2;

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial StreamHandle virStreamNew(ConnectHandle conn, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStreamRecv(IntPtr stream, byte* data, nuint length);

    /// <summary><c>int virStreamSend(virStreamPtr stream, const char *data, size_t nbytes)</c> (libvirt-stream.h): bytes sent, or -1.</summary>
    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStreamSend(StreamHandle stream, byte* data, nuint length);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStreamFinish(StreamHandle stream);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStreamAbort(StreamHandle stream);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStreamFree(IntPtr stream);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStreamEventAddCallback(
        StreamHandle stream,
        int events,
        delegate* unmanaged<IntPtr, int, IntPtr, void> callback,
        IntPtr opaque,
        delegate* unmanaged<IntPtr, void> freeCallback);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStreamEventUpdateCallback(IntPtr stream, int events);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virStreamEventRemoveCallback(StreamHandle stream);
}
