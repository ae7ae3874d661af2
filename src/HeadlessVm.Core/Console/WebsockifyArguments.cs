using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Console;

/// <summary>What one websockify process is asked to do.</summary>
public sealed record WebsockifyOptions(
    string ListenAddress,
    int WebPort,
    string WebRoot,
    string TokenSource,
    string LogFile,
    string? CertificatePath = null,
    string? KeyPath = null);

/// <summary>Builds websockify's argv as a list; nothing here runs anything.</summary>
public static class WebsockifyArguments
{
    public const string Program = "websockify";

    public static NativeCommand Build(WebsockifyOptions options)
    {
        var args = new List<string>
        {
            // websockify binds its port before it forks, so a taken port still fails with a message and
            // an exit code; after the fork the buffered run returns and the daemon outlives this process.
            "--daemon",
            // The log path names the bridge's own folder: it is how the daemon's PID is found and checked
            // (websockify -D writes no pidfile), and it keeps the request log private to the store.
            "--log-file", options.LogFile,
            "--web", options.WebRoot,
            // Every WebSocket must present a bridge's random token. The source is a folder with a file
            // per bridge, re-read on each connection: adding a file adds a console to a running server,
            // deleting it revokes that token at once.
            "--token-plugin", "TokenFile",
            "--token-source", options.TokenSource,
        };

        if (options.CertificatePath is not null)
        {
            args.Add("--cert");
            args.Add(options.CertificatePath);
            if (options.KeyPath is not null)
            {
                args.Add("--key");
                args.Add(options.KeyPath);
            }

            // With a certificate, nothing is served in clear text.
            args.Add("--ssl-only");
        }

        args.Add(HostPort(options.ListenAddress, options.WebPort));
        return new NativeCommand(Program, args);
    }

    /// <summary>host:port, with an IPv6 literal in brackets.</summary>
    public static string HostPort(string host, int port) =>
        host.Contains(':') && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
}
