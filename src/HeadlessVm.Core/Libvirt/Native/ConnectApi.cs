using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>Connections, host facts and bulk listing (libvirt-host.h, libvirt-domain.h, libvirt-common.h).</summary>
internal static unsafe partial class ConnectApi
{
    /// <summary><c>struct _virConnectAuth</c> (libvirt-host.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct VirConnectAuth
    {
        public int* CredentialTypes;
        public uint CredentialTypeCount;
        public delegate* unmanaged<IntPtr, uint, IntPtr, int> Callback;
        public IntPtr CallbackData;
    }

    /// <summary><c>struct _virDomainStatsRecord</c> (libvirt-domain.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct VirDomainStatsRecord
    {
        public IntPtr Domain;
        public IntPtr Parameters;
        public int ParameterCount;
    }

    /// <summary>virConnectCredentialType values (libvirt-host.h).</summary>
    internal static class Credential
    {
        public const int AuthName = 2;
        public const int Passphrase = 5;
        public const int EchoPrompt = 6;
        public const int NoEchoPrompt = 7;
        public const int External = 9;
    }

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virInitialize();

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virGetVersion(out CULong libVer, IntPtr type, IntPtr typeVer);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ConnectHandle virConnectOpenAuth(string name, VirConnectAuth* auth, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virConnectClose(IntPtr conn);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virConnectSetKeepAlive(ConnectHandle conn, int interval, uint count);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virConnectIsAlive(ConnectHandle conn);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virConnectGetVersion(ConnectHandle conn, out CULong hvVer);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virConnectGetLibVersion(ConnectHandle conn, out CULong libVer);

    /// <summary>Returns a static string owned by libvirt: never freed.</summary>
    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virConnectGetType(ConnectHandle conn);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virConnectGetURI(ConnectHandle conn);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial IntPtr virConnectGetHostname(ConnectHandle conn);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr virConnectGetDomainCapabilities(
        ConnectHandle conn, string? emulatorbin, string? arch, string? machine, string? virttype, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial int virConnectGetAllDomainStats(ConnectHandle conn, uint stats, out VirDomainStatsRecord** records, uint flags);

    [LibraryImport(LibvirtLibrary.Name)]
    internal static partial void virDomainStatsRecordListFree(VirDomainStatsRecord** records);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsGetInt(IntPtr parameters, int count, string name, out int value);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsGetUInt(IntPtr parameters, int count, string name, out uint value);

    [LibraryImport(LibvirtLibrary.Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsGetULLong(IntPtr parameters, int count, string name, out ulong value);
}
