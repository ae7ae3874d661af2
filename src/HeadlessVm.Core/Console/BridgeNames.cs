using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Console;

/// <summary>
/// What a bridge is called. A folder store VM's bridge has the VM's name and a -Target bridge its own, as
/// before; a libvirt VM's bridge is "HOST~VM" (HOST its ComputerName, with any character a name cannot hold
/// turned into '_'), because VM names repeat across hosts and a libvirt VM may share its name with a store VM.
/// '~' is in no VM or -Target bridge name, so the three kinds never collide.
/// </summary>
public static class BridgeNames
{
    /// <summary>The separator between host and VM.</summary>
    public const char HostSeparator = '~';

    /// <summary>The bridge name of VM <paramref name="vmName"/> on <paramref name="host"/>.</summary>
    public static string Of(HostTarget host, string vmName) =>
        host.IsLocalStore ? vmName : $"{Clean(host.ComputerName)}{HostSeparator}{vmName}";

    /// <summary>True for a VM's or -Target bridge's name, or for HOST~VM with both parts valid names.</summary>
    public static bool IsValid(string? name)
    {
        if (name is null)
        {
            return false;
        }

        var parts = name.Split(HostSeparator);
        return parts.Length switch
        {
            1 => VmStore.IsValidName(name),
            2 => VmStore.IsValidName(parts[0]) && IsValidDomainName(parts[1]),
            _ => false,
        };
    }

    /// <summary>InvalidVmName for what <see cref="IsValid"/> refuses.</summary>
    public static void Validate(string? name)
    {
        if (!IsValid(name))
        {
            throw HeadlessVmErrors.InvalidVmName(name);
        }
    }

    /// <summary>True for a HOST~VM name (a libvirt VM's bridge).</summary>
    public static bool IsHostBridge(string name) => name.Contains(HostSeparator, StringComparison.Ordinal);

    // libvirt allows any name without '/'; a bridge name is also a file name, so it must be a store-like name.
    private static bool IsValidDomainName(string name) => VmStore.IsValidName(name);

    private static string Clean(string host)
    {
        var clean = new string(host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()).TrimStart('.', '-');
        return clean.Length == 0 ? "_" : clean.Length > 63 ? clean[..63] : clean;
    }
}
