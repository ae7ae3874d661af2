using System.Globalization;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// Port forwards for a running domain through QEMU's human monitor. Debian 12's libvirt 9.0 rejects
/// <c>&lt;portForward&gt;</c> on user-mode interfaces (it needs the passt backend), so forwards live in
/// HeadlessVm's metadata and are added after each start with <c>hostfwd_add</c> through
/// <see cref="LibvirtConnection.QemuMonitorCommand"/> (HMP), which marks the domain tainted. The netdev is the one
/// libvirt names for the first interface: "hostnet0" (alias net0).
/// </summary>
public static class HostForwardCommands
{
    /// <summary>The netdev id libvirt gives the domain's first interface.</summary>
    public const string NetdevId = "hostnet0";

    /// <summary>
    /// HMP's <c>hostfwd_add [netdev_id] tcp:[hostaddr]:hostport-[guestaddr]:guestport</c> for one forward, on
    /// <paramref name="netdev"/> (libvirt's <see cref="NetdevId"/> when null; the folder store's VMs use "net0").
    /// </summary>
    public static string Add(PortForward forward, string? netdev = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return string.Create(CultureInfo.InvariantCulture,
            $"hostfwd_add {netdev ?? NetdevId} tcp:{forward.HostAddress}:{forward.HostPort}-:{forward.GuestPort}");
    }

    /// <summary>HMP's <c>hostfwd_remove [netdev_id] tcp:[hostaddr]:hostport</c> for one forward (see <see cref="Add"/>).</summary>
    public static string Remove(PortForward forward, string? netdev = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return string.Create(CultureInfo.InvariantCulture,
            $"hostfwd_remove {netdev ?? NetdevId} tcp:{forward.HostAddress}:{forward.HostPort}");
    }

    /// <summary>
    /// Throws PortForwardFailed (target <paramref name="name"/>) unless <paramref name="reply"/> is the monitor's answer of
    /// success to <paramref name="command"/>: hostfwd_add answers nothing when it worked; hostfwd_remove answers
    /// "host forwarding rule for ... removed" (QEMU's net/slirp.c); anything else is the reason it did not.
    /// </summary>
    public static void Check(string name, PortForward forward, string command, string? reply)
    {
        ArgumentNullException.ThrowIfNull(command);
        var text = (reply ?? string.Empty).Trim();
        var removing = command.StartsWith("hostfwd_remove", StringComparison.Ordinal);
        if (text.Length > 0 && !(removing && text.EndsWith(" removed", StringComparison.Ordinal)))
        {
            throw Errors.HeadlessVmErrors.PortForwardFailed(name, forward.ToString(), text, removing);
        }
    }
}
