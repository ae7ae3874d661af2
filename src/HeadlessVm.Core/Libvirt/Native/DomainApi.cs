using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>Domain lookup, definition, life cycle and devices (libvirt-domain.h).</summary>
internal static unsafe partial class DomainApi
{
    /// <summary><c>struct _virDomainInfo</c> (libvirt-domain.h); memory in KiB, CPU time in nanoseconds.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct VirDomainInfo
    {
        public byte State;
        public CULong MaxMemory;
        public CULong Memory;
        public ushort VirtualCpuCount;
        public ulong CpuTime;
    }

    /// <summary>VIR_UUID_STRING_BUFLEN (libvirt-host.h): 36 characters and a NUL.</summary>
    internal const int UuidStringLength = 37;

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByName(ConnectHandle conn, string name);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByUUIDString(ConnectHandle conn, string uuid);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainFree(IntPtr domain);

    /// <summary>Returns a string owned by the domain object: never freed.</summary>
    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virDomainGetName(IntPtr domain);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainGetUUIDString(IntPtr domain, byte* buffer);

    /// <summary>(unsigned int)-1 for an inactive domain.</summary>
    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial uint virDomainGetID(IntPtr domain);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virDomainGetXMLDesc(DomainHandle domain, uint flags);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainDefineXMLFlags(ConnectHandle conn, string xml, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainUndefineFlags(DomainHandle domain, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainCreateWithFlags(DomainHandle domain, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainShutdownFlags(DomainHandle domain, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainDestroyFlags(DomainHandle domain, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainSuspend(DomainHandle domain);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainResume(DomainHandle domain);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainReset(DomainHandle domain, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainGetState(DomainHandle domain, out int state, out int reason, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainGetInfo(DomainHandle domain, out VirDomainInfo info);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virDomainSendKey(DomainHandle domain, uint codeset, uint holdtime, uint* keycodes, int count, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virDomainScreenshot(DomainHandle domain, StreamHandle stream, uint screen, uint flags);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainOpenConsole(DomainHandle domain, string? deviceName, StreamHandle stream, uint flags);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainUpdateDeviceFlags(DomainHandle domain, string xml, uint flags);
}
