using System.Globalization;
using System.Management.Automation;
using System.Web;

namespace HeadlessVm.Bench;

/// <summary>What every scenario gets: the mode, the report, and Ctrl+C.</summary>
public sealed class BenchContext
{
    public BenchContext(bool quick, Report report, CancellationToken cancellation)
    {
        Quick = quick;
        Report = report;
        Cancellation = cancellation;
    }

    public bool Quick { get; }

    public Report Report { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>Runs discarded before measuring.</summary>
    public int WarmUps => 1;

    /// <summary>Measured runs: <paramref name="full"/>, or one in quick mode.</summary>
    public int Runs(int full) => Quick ? 1 : full;

    /// <summary>Stops between steps once Ctrl+C was pressed; the finally blocks then clean up.</summary>
    public void Check() => Cancellation.ThrowIfCancellationRequested();

    /// <summary>Progress on stderr, so that stdout carries only the report.</summary>
    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}

/// <summary>One of issue 6's scenarios; writes its tables into its section of the report.</summary>
public interface IScenario
{
    /// <summary>The name --only selects it by.</summary>
    string Key { get; }

    string Title { get; }

    void Run(BenchContext context, Section section);
}

/// <summary>What the bench needs of a VncBridge object: where its WebSocket is, its token, the VM's VNC password, its websockify.</summary>
public sealed record BridgeInfo(string Name, int? Pid, int WebPort, string Token, string Password)
{
    public Uri Socket => WebSocketProbe.ConsoleSocket(WebPort, Token);

    /// <summary>
    /// Reads a VncBridge: .Url is http://127.0.0.1:PORT/vnc.html?...&amp;path=websockify%3Ftoken%3DHEX#password=PW;
    /// the websockify PID is .ProcessId (or .Pid).
    /// </summary>
    public static BridgeInfo From(PSObject bridge)
    {
        var url = Property(bridge, "Url") as Uri ?? throw new BenchException($"The bridge '{bridge}' has no Url: is it running?");
        var path = HttpUtility.ParseQueryString(url.Query)["path"] ?? throw new BenchException($"The console URL has no path setting: {Redact(url)}");
        var token = HttpUtility.ParseQueryString(path.Contains('?', StringComparison.Ordinal) ? path[(path.IndexOf('?', StringComparison.Ordinal) + 1)..] : string.Empty)["token"]
            ?? throw new BenchException($"The console URL's path carries no token: {Redact(url)}");
        var password = HttpUtility.ParseQueryString(url.Fragment.TrimStart('#'))["password"] ?? string.Empty;
        var pid = Property(bridge, "ProcessId") ?? Property(bridge, "Pid");
        return new BridgeInfo(bridge.ToString(), pid is null ? null : Convert.ToInt32(pid, CultureInfo.InvariantCulture), url.Port, token, password);
    }

    public static object? Property(PSObject o, string name) => o.Properties[name]?.Value switch
    {
        PSObject p => p.BaseObject,
        var v => v,
    };

    private static string Redact(Uri url) => url.GetLeftPart(UriPartial.Path);
}
