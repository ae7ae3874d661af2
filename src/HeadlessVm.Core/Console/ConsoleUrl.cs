using System.Net;
using System.Text;

namespace HeadlessVm.Core.Console;

/// <summary>The noVNC URL that opens a bridge's console at once, with no clicks.</summary>
public static class ConsoleUrl
{
    /// <summary>
    /// vnc.html?autoconnect=1&amp;resize=scale&amp;encrypt=..&amp;path=websockify?token=..#password=..
    /// The token goes in the query because websockify must see it; the VNC password goes after '#',
    /// which browsers never send, so it reaches no server log (noVNC 1.3 reads settings from the
    /// fragment first, then the query). encrypt is explicit because noVNC otherwise prefers a value
    /// remembered from an earlier visit over the page's own scheme.
    /// </summary>
    public static Uri Build(string listenAddress, int webPort, bool secure, string token, string? vncPassword)
    {
        var host = UrlHost(listenAddress);
        var query = new StringBuilder()
            .Append("autoconnect=1&resize=scale&encrypt=").Append(secure ? '1' : '0')
            .Append("&path=").Append(Uri.EscapeDataString("websockify?token=" + token));
        var fragment = string.IsNullOrEmpty(vncPassword) ? string.Empty : "#password=" + Uri.EscapeDataString(vncPassword);
        var scheme = secure ? "https" : "http";
        return new Uri($"{scheme}://{host}:{webPort}/vnc.html?{query}{fragment}");
    }

    /// <summary>How a browser reaches a listen address: a wildcard address means this machine's name.</summary>
    public static string UrlHost(string listenAddress)
    {
        if (IPAddress.TryParse(listenAddress, out var ip))
        {
            if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            {
                return Dns.GetHostName();
            }

            return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        }

        return listenAddress;
    }
}
