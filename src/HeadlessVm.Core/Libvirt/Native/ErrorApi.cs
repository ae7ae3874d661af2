using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>
/// libvirt's error reporting (virterror.h): errors live in thread-local storage, so every failing call is
/// read on the thread that made it, right after the call, with no await in between.
/// </summary>
internal static unsafe partial class ErrorApi
{
    /// <summary>The head of <c>struct _virError</c> (virterror.h); later fields are read as padding only.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct VirError
    {
        public int Code;
        public int Domain;
        public IntPtr Message;
        public int Level;
        public IntPtr Conn;
        public IntPtr Dom;
        public IntPtr Str1;
        public IntPtr Str2;
        public IntPtr Str3;
        public int Int1;
        public int Int2;
        public IntPtr Net;
    }

    [LibraryImport(LibvirtLibrary.Name)]
    private static partial void virSetErrorFunc(IntPtr userData, delegate* unmanaged<IntPtr, IntPtr, void> handler);

    [LibraryImport(LibvirtLibrary.Name)]
    private static partial VirError* virSaveLastError();

    [LibraryImport(LibvirtLibrary.Name)]
    private static partial void virFreeError(VirError* error);

    [LibraryImport(LibvirtLibrary.Name)]
    private static partial void virResetLastError();

    /// <summary>
    /// Replaces libvirt's default handler, which prints every error on stderr, with one that does nothing;
    /// errors are still kept per thread for <see cref="TakeLast"/> (virterror.h, virSetErrorFunc).
    /// </summary>
    internal static void SilenceDefaultPrinting() => virSetErrorFunc(IntPtr.Zero, &Ignore);

    /// <summary>
    /// A copy of this thread's last libvirt error (virSaveLastError), after which the thread's error is reset;
    /// null when libvirt recorded none (code VIR_ERR_OK).
    /// </summary>
    internal static LibvirtError? TakeLast()
    {
        var error = virSaveLastError();
        if (error is null)
        {
            return null;
        }

        try
        {
            if (error->Code == 0)
            {
                return null;
            }

            var message = Marshal.PtrToStringUTF8(error->Message) ?? string.Empty;
            return new LibvirtError(error->Code, error->Domain, error->Level, message);
        }
        finally
        {
            virFreeError(error);
            virResetLastError();
        }
    }

    /// <summary>Forgets this thread's last error (after one the caller handled on purpose).</summary>
    internal static void Reset() => virResetLastError();

    [UnmanagedCallersOnly]
    private static void Ignore(IntPtr userData, IntPtr error)
    {
    }
}
