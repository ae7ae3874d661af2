using HeadlessVm.Core.Errors;
using System.Reflection;
using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>
/// Loads libvirt lazily: nothing in this assembly touches <c>libvirt.so.0</c> until the first libvirt
/// target calls <see cref="EnsureLoaded"/>, so <c>Import-Module</c> and the folder store never need it.
/// The bindings name logical libraries (<see cref="Name"/>, <see cref="QemuName"/>) that only this
/// resolver maps to files, so a P/Invoke reached without <see cref="EnsureLoaded"/> fails loudly instead
/// of loading libvirt behind the loader's back.
/// </summary>
internal static class LibvirtLibrary
{
    /// <summary>The logical library name every libvirt <c>LibraryImport</c> uses.</summary>
    internal const string Name = "HeadlessVm.Libvirt";

    /// <summary>The logical library name of libvirt's QEMU-specific API (the monitor passthrough).</summary>
    internal const string QemuName = "HeadlessVm.LibvirtQemu";

    /// <summary>The client library's SONAME (Debian package libvirt0).</summary>
    internal const string FileName = "libvirt.so.0";

    /// <summary>libvirt-qemu's SONAME; Debian ships it in the same package, libvirt0.</summary>
    internal const string QemuFileName = "libvirt-qemu.so.0";

    /// <summary>The Debian package that holds both libraries.</summary>
    internal const string Package = "libvirt0";

    private static readonly object Gate = new();
    private static IntPtr _libvirt;
    private static IntPtr _qemu;
    private static bool _resolverInstalled;

    /// <summary>
    /// Loads libvirt.so.0 once per process, initialises it and silences its default error printer.
    /// Throws <see cref="LibvirtException"/> (<c>LibvirtNotInstalled</c>) when the library is missing.
    /// Safe from any thread.
    /// </summary>
    internal static void EnsureLoaded()
    {
        if (Volatile.Read(ref _libvirt) != IntPtr.Zero)
        {
            return;
        }

        lock (Gate)
        {
            if (_libvirt != IntPtr.Zero)
            {
                return;
            }

            InstallResolver();
            var handle = Load(FileName);
            Volatile.Write(ref _libvirt, handle);

            // virInitialize: "It's safe to call it multiple times" and it must run before other threads
            // use the library (libvirt-host.h, virInitialize).
            if (ConnectApi.virInitialize() < 0)
            {
                throw LibvirtErrors.FromLastError(target: null, LibvirtCall.Other);
            }

            ErrorApi.SilenceDefaultPrinting();
        }
    }

    /// <summary>Loads libvirt-qemu.so.0 (after libvirt itself) for <c>virDomainQemuMonitorCommand</c>.</summary>
    internal static void EnsureQemuLoaded()
    {
        EnsureLoaded();
        if (Volatile.Read(ref _qemu) != IntPtr.Zero)
        {
            return;
        }

        lock (Gate)
        {
            if (_qemu == IntPtr.Zero)
            {
                Volatile.Write(ref _qemu, Load(QemuFileName));
            }
        }
    }

    /// <summary>
    /// Loads one shared library by file name or throws <c>LibvirtNotInstalled</c> naming the Debian
    /// package. Internal so that a test can point it at a library that does not exist.
    /// </summary>
    internal static IntPtr Load(string fileName)
    {
        if (NativeLibrary.TryLoad(fileName, out var handle))
        {
            return handle;
        }

        throw HeadlessVmErrors.LibvirtNotInstalled(fileName, Package);
    }

    private static void InstallResolver()
    {
        if (_resolverInstalled)
        {
            return;
        }

        // One resolver per assembly is allowed (NativeLibrary.SetDllImportResolver); this one answers only
        // for libvirt's logical names and returns Zero for every other library (libc), which then loads
        // the default way.
        NativeLibrary.SetDllImportResolver(typeof(LibvirtLibrary).Assembly, Resolve);
        _resolverInstalled = true;
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) => libraryName switch
    {
        Name => Volatile.Read(ref _libvirt),
        QemuName => Volatile.Read(ref _qemu),
        _ => IntPtr.Zero,
    };
}
