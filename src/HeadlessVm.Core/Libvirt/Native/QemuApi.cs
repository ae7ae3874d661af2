using System.Runtime.InteropServices;

namespace HeadlessVm.Core.Libvirt.Native;

/// <summary>libvirt-qemu.so.0: the QEMU monitor passthrough (libvirt-qemu.h).</summary>
internal static partial class QemuApi
{
    /// <summary>virDomainQemuMonitorCommandFlags: VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP.</summary>
    internal const uint HumanMonitor = 1;

    [LibraryImport(LibvirtLibrary.QemuName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainQemuMonitorCommand(DomainHandle domain, string command, out IntPtr result, uint flags);
}
