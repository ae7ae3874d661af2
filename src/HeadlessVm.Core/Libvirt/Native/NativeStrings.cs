using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>Strings that libvirt returns.</summary>
internal static class NativeStrings
{
    /// <summary>
    /// Copies a string that the caller owns and frees it with the C library's <c>free</c>, as libvirt's API
    /// docs require for every <c>char *</c> it returns (<see cref="NativeMemory.Free"/> is a thin wrapper over
    /// C <c>free</c>). Null stays null.
    /// </summary>
    internal static unsafe string? Take(IntPtr owned)
    {
        if (owned == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(owned);
        }
        finally
        {
            NativeMemory.Free((void*)owned);
        }
    }

    /// <summary>Copies a string libvirt keeps owning (<c>const char *</c>): never freed.</summary>
    internal static string? Borrow(IntPtr borrowed) => Marshal.PtrToStringUTF8(borrowed);
}
