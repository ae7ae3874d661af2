using System.Globalization;
using System.Net;
using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Model;

/// <summary>A TCP port on the host forwarded to a port in the guest through qemu's user-mode network.</summary>
public sealed record PortForward(string HostAddress, int HostPort, int GuestPort)
{
    /// <summary>
    /// Parses "8080:80" or "0.0.0.0:8080:80" (host address, host port, guest port), and the form
    /// <see cref="ToString"/> prints, "127.0.0.1:8080->80" (or "8080->80"), so that what Get-HeadlessVm
    /// shows is accepted back by New-HeadlessVm -PortForward. InvalidPortForward otherwise, with VM <paramref name="vm"/>
    /// (whose forward it is) as its target, or the text when no VM is given.
    /// </summary>
    public static PortForward Parse(string text, string defaultHostAddress = "127.0.0.1", string? vm = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var arrow = trimmed.IndexOf("->", StringComparison.Ordinal);
        if (arrow >= 0)
        {
            // "ADDRESS:HOST->GUEST": the guest port after the arrow, nothing else may hold one.
            var guest = trimmed[(arrow + 2)..];
            if (guest.Contains(':') || guest.Contains("->", StringComparison.Ordinal))
            {
                throw Invalid(vm, text);
            }

            trimmed = trimmed[..arrow] + ":" + guest;
        }

        var parts = trimmed.Split(':');
        string address = defaultHostAddress;
        string hostPort, guestPort;
        if (parts.Length == 2)
        {
            (hostPort, guestPort) = (parts[0], parts[1]);
        }
        else if (parts.Length == 3)
        {
            (address, hostPort, guestPort) = (parts[0], parts[1], parts[2]);
        }
        else
        {
            throw Invalid(vm, text);
        }

        if (!IPAddress.TryParse(address, out _) || !TryPort(hostPort, out var h) || !TryPort(guestPort, out var g))
        {
            throw Invalid(vm, text);
        }

        return new PortForward(address, h, g);
    }

    private static bool TryPort(string s, out int port) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;

    private static HeadlessVmException Invalid(string? vm, string text) => HeadlessVmErrors.InvalidPortForward(vm ?? text, text);

    public override string ToString() => $"{HostAddress}:{HostPort}->{GuestPort}";
}
