using System.Runtime.InteropServices;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Reads a domain object's name and UUID locally (no RPC), safe inside native callbacks.</summary>
internal static class DomainIdentity
{
    internal static unsafe (string Name, Guid Uuid) Read(IntPtr domain)
    {
        var name = NativeStrings.Borrow(DomainApi.virDomainGetName(domain)) ?? string.Empty;
        var buffer = stackalloc byte[DomainApi.UuidStringLength];
        var uuid = DomainApi.virDomainGetUUIDString(domain, buffer) == 0
            && Guid.TryParse(Marshal.PtrToStringUTF8((IntPtr)buffer), out var parsed)
                ? parsed
                : Guid.Empty;
        return (name, uuid);
    }
}
