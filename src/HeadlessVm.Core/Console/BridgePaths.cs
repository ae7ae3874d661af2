using System.Globalization;

namespace HeadlessVm.Core.Console;

/// <summary>
/// The record of one bridge. A VM's bridge lives in the VM's own private folder (so removing the VM
/// removes it); a bridge to another VNC server (-Target) lives under the store's bridges folder. The
/// bridge's token lives with the console server that serves it (<see cref="ConsoleServerPaths"/>).
/// </summary>
public sealed class BridgePaths
{
    public BridgePaths(string folder) => Folder = folder;

    public string Folder { get; }
    public string RecordFile => Path.Combine(Folder, "bridge.json");
}

/// <summary>
/// The files of one console server: the websockify process that serves the noVNC page and every
/// bridge's WebSocket on one address and port. Each bridge is one token file in <see cref="TokensFolder"/>.
/// </summary>
public sealed class ConsoleServerPaths
{
    public ConsoleServerPaths(string consolesFolder, string listenAddress, int webPort)
    {
        // A folder name per address and port: "127.0.0.1-6080", "__1-6080" for ::1.
        var address = new string(listenAddress.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
        Folder = Path.Combine(consolesFolder, $"{address}-{webPort.ToString(CultureInfo.InvariantCulture)}");
    }

    public string Folder { get; }
    public string RecordFile => Path.Combine(Folder, "server.json");
    public string PidFile => Path.Combine(Folder, "websockify.pid");
    public string LogFile => Path.Combine(Folder, "websockify.log");

    /// <summary>websockify's token source: a folder it re-reads on every connection, one file per bridge.</summary>
    public string TokensFolder => Path.Combine(Folder, "tokens");

    public string TokenFile(string bridgeName) => Path.Combine(TokensFolder, bridgeName);
}
