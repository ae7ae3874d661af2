using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Console;

/// <summary>
/// Console servers: one detached websockify per address and port, serving the noVNC page and every
/// bridge's WebSocket behind the bridge's token. Bridges with equal settings share a server; a server
/// whose last token goes is stopped. Every call but <see cref="FindProcess"/> runs under the store's
/// bridge lock (<see cref="StatePaths.BridgeLockFile"/>), which the caller holds.
/// </summary>
public sealed class ConsoleServers
{
    /// <summary>The first web port tried when none is asked for: websockify's and noVNC's usual 6080.</summary>
    public const int DefaultWebPort = 6080;

    /// <summary>How many ports from the first are tried.</summary>
    public const int PortSearchSpan = 100;

    private static readonly TimeSpan DaemonWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    private readonly StatePaths _paths;
    private readonly IVmHost _host;
    private readonly int _firstWebPort;

    /// <param name="firstWebPort">Where the search for a free port starts (<see cref="DefaultWebPort"/> in the module).</param>
    public ConsoleServers(StatePaths paths, IVmHost host, int firstWebPort = DefaultWebPort)
    {
        _paths = paths;
        _host = host;
        _firstWebPort = firstWebPort;
    }

    public StatePaths.ConsoleServerFiles FilesOf(string listenAddress, int webPort) => _paths.ForConsoleServer(listenAddress, webPort);

    /// <summary>
    /// A running console server with these settings: the one on the requested port, else the first one
    /// on this address; started on the requested port, or the first free one from the first web port,
    /// when there is none. <paramref name="name"/> is the bridge it is for (the target of errors).
    /// </summary>
    public ConsoleServerRecord Ensure(string name, ConsoleServerRecord wanted, int? requestedPort, CancellationToken cancellationToken, bool joining = true)
    {
        var (servers, damaged) = Survey();
        if (requestedPort is { } port)
        {
            var folder = FilesOf(wanted.ListenAddress, port).Folder;
            if (damaged.FirstOrDefault(d => d.Files.Folder == folder) is { Files: not null } broken)
            {
                throw HeadlessVmErrors.ConsoleServerRecordDamaged(name, broken.Files.RecordFile, broken.Damage);
            }

            var there = servers.FirstOrDefault(s => s.Record.ListenAddress == wanted.ListenAddress && s.Record.WebPort == port);
            if (there.Record is not null && there.Pid is not null)
            {
                return there.Record.Serves(wanted)
                    ? there.Record
                    : throw HeadlessVmErrors.WebPortInUse(name, wanted.ListenAddress, port,
                        $"already serves consoles with other settings ({there.Record.Describe()})", "Choose another -WebPort, or use the same -WebRoot and certificate.");
            }

            if (!Ports.IsFree(wanted.ListenAddress, port))
            {
                throw HeadlessVmErrors.WebPortInUse(name, wanted.ListenAddress, port,
                    "is already in use", $"Choose another -WebPort, or leave it out to get a free one from {_firstWebPort}.");
            }

            return Launch(name, wanted with { WebPort = port }, cancellationToken);
        }

        var shared = servers.Where(s => s.Pid is not null && s.Record.Serves(wanted)).OrderBy(s => s.Record.WebPort).Select(s => s.Record).FirstOrDefault();
        if (shared is not null)
        {
            _host.Verbose($"The console server on {WebsockifyArguments.HostPort(shared.ListenAddress, shared.WebPort)} already runs" +
                (joining ? $"; '{name}' joins it." : "."));
            return shared;
        }

        // Ports of other servers' records count as taken even while those are briefly down.
        var taken = servers.Where(s => s.Pid is not null || !s.Record.Serves(wanted)).Select(s => s.Record.WebPort).ToHashSet();
        for (var candidate = _firstWebPort; candidate < _firstWebPort + PortSearchSpan; candidate++)
        {
            if (!taken.Contains(candidate) && Ports.IsFree(wanted.ListenAddress, candidate))
            {
                if (candidate != _firstWebPort)
                {
                    _host.Verbose($"Port {_firstWebPort} is taken; the console of '{name}' uses port {candidate}.");
                }

                return Launch(name, wanted with { WebPort = candidate }, cancellationToken);
            }
        }

        throw HeadlessVmErrors.NoFreeWebPort(name, wanted.ListenAddress, _firstWebPort, _firstWebPort + PortSearchSpan - 1);
    }

    /// <summary>The server's websockify PID: alive, and its command line names this server's own log file.</summary>
    public int? FindProcess(StatePaths.ConsoleServerFiles server) => DaemonOf(server).Find();

    /// <summary>True while some bridge's token is in the server's tokens folder.</summary>
    public bool HasTokens(StatePaths.ConsoleServerFiles server) =>
        Directory.Exists(server.TokensFolder) && Directory.EnumerateFiles(server.TokensFolder).Any();

    /// <summary>Stops the server if no bridge uses it.</summary>
    public void StopIfIdle(StatePaths.ConsoleServerFiles server)
    {
        if (!HasTokens(server))
        {
            Stop(server);
        }
    }

    /// <summary>Ends the listener and every connection handler it forked, and forgets the server.</summary>
    public void Stop(StatePaths.ConsoleServerFiles server)
    {
        var daemon = DaemonOf(server);
        if (daemon.Find() is { } pid)
        {
            Daemon.Stop(pid, StopWait, signalling: signal =>
            {
                if (signal == ProcessInfo.SIGTERM)
                {
                    _host.Verbose($"Stopping the console server: SIGTERM to websockify (PID {pid}).");
                }
            });
        }

        foreach (var straggler in daemon.FindAll())
        {
            Daemon.Kill(straggler, StopWait);
        }

        try
        {
            Directory.Delete(server.Folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// websockify forks a handler per browser connection; the handlers connected to <paramref name="target"/> (a bridge's
    /// VNC server: host:port, or the path of a unix socket such as an ssh tunnel's) are ended, so a revoked console goes
    /// dark at once and the other bridges' viewers stay.
    /// </summary>
    public void EndConnections(int serverPid, string bridgeName, string target)
    {
        var handlers = ProcessInfo.Children(serverPid);
        if (handlers.Count == 0)
        {
            return;
        }

        Func<int, bool>? connected = target.StartsWith('/') ? ConnectedToSocket(target) : ConnectedToPort(target);
        foreach (var handler in handlers.Where(h => connected?.Invoke(h) == true))
        {
            _host.Verbose($"Bridge '{bridgeName}': ending its connection handler (websockify PID {handler}).");
            Daemon.Kill(handler, StopWait);
        }
    }

    /// <summary>Handlers with a socket whose peer was accepted on the unix socket at <paramref name="path"/>.</summary>
    private static Func<int, bool> ConnectedToSocket(string path)
    {
        var clients = UnixSockets.ClientsOf(path);
        return handler => clients.Count > 0 && UnixSockets.InodesOf(handler).Overlaps(clients);
    }

    /// <summary>Handlers with an established TCP connection to host:port; null when the target is not one.</summary>
    private static Func<int, bool>? ConnectedToPort(string target)
    {
        var colon = target.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(target[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            return null;
        }

        var host = target[..colon].Trim('[', ']');
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var ip) ? new[] { ip } : Dns.GetHostAddresses(host);
        }
        catch (SocketException)
        {
            return null;
        }

        return handler => Sockets.RemoteEndPoints(handler).Any(e => e.Port == port && addresses.Contains(e.Address));
    }

    /// <summary>
    /// Every console server on record, with its websockify PID when it runs, and those whose server.json
    /// is damaged. A damaged one that is dead or serves no bridge is stopped and forgotten here; one that
    /// still serves bridges is kept (its port stays taken) but never shared, since its settings are unknown.
    /// </summary>
    private (List<(ConsoleServerRecord Record, int? Pid)> Sound, List<(StatePaths.ConsoleServerFiles Files, string Damage)> Damaged) Survey()
    {
        var sound = new List<(ConsoleServerRecord Record, int? Pid)>();
        var damaged = new List<(StatePaths.ConsoleServerFiles Files, string Damage)>();
        foreach (var server in _paths.ConsoleServerFolders())
        {
            var read = ConsoleServerRecord.Read(server);
            if (read.Value is { } record)
            {
                sound.Add((record, FindProcess(FilesOf(record.ListenAddress, record.WebPort))));
            }
            else if (FindProcess(server) is null || !HasTokens(server))
            {
                if (read.Damaged)
                {
                    _host.Verbose($"Forgetting the console server in '{server.Folder}': its record is damaged ({read.Damage}) and it serves no bridge.");
                }

                Stop(server);
            }
            else if (read.Damaged)
            {
                damaged.Add((server, read.Damage!));
            }
        }

        return (sound, damaged);
    }

    private ConsoleServerRecord Launch(string name, ConsoleServerRecord record, CancellationToken cancellationToken)
    {
        var server = FilesOf(record.ListenAddress, record.WebPort);
        var daemon = DaemonOf(server);
        PrivateFiles.EnsureFolder(server.TokensFolder);
        daemon.ForgetPid();
        // websockify opens its log with the default umask; made here first, it stays 0600.
        if (!File.Exists(server.LogFile))
        {
            PrivateFiles.WriteRuntimeText(server.LogFile, string.Empty);
        }

        record.Write(server);
        var hostPort = WebsockifyArguments.HostPort(record.ListenAddress, record.WebPort);
        var command = WebsockifyLauncher.Prepare(WebsockifyArguments.Build(new WebsockifyOptions(
            record.ListenAddress, record.WebPort, record.WebRoot, server.TokensFolder, server.LogFile, record.CertificatePath, record.KeyPath)), _paths);
        _host.Verbose("Running: " + command.Display);
        try
        {
            var result = NativeRunner.Run(command, cancellationToken, server.Folder);
            if (result.ExitCode != 0)
            {
                var message = result.Message;
                throw HeadlessVmErrors.WebsockifyRefused(name, hostPort, message.Contains("Address already in use", StringComparison.OrdinalIgnoreCase),
                    message.Split('\n')[^1].Trim(), command.Program, result.ExitCode, result.StandardError);
            }

            // websockify binds and listens before it forks, so the port already accepts connections.
            var pid = WaitForListener(name, server, daemon, cancellationToken);
            daemon.RecordPid(pid);
            _host.Verbose($"Console server runs: websockify PID {pid} on {hostPort}.");
            return record;
        }
        catch
        {
            Stop(server);
            throw;
        }
    }

    /// <summary>
    /// The daemon's PID. websockify -D double-forks and writes no pidfile, so the process is found by
    /// its command line; forked per-connection handlers carry the same command line, so the one whose
    /// parent is not a match is the listener.
    /// </summary>
    private static int WaitForListener(string name, StatePaths.ConsoleServerFiles server, Daemon daemon, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + DaemonWait;
        while (true)
        {
            if (daemon.FindListener() is { } listener)
            {
                return listener;
            }

            if (DateTime.UtcNow > deadline)
            {
                var log = PrivateFiles.TryReadAllText(server.LogFile);
                throw HeadlessVmErrors.WebsockifyExitedEarly(name,
                    string.IsNullOrWhiteSpace(log) ? string.Empty : "websockify's log ends: " + log[Math.Max(0, log.Length - 400)..]);
            }

            // The second fork takes a millisecond or two: poll cheaply.
            cancellationToken.WaitHandle.WaitOne(2);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>websockify as a daemon: its argv names this server's own log file (WebsockifyArguments puts it there).</summary>
    private static Daemon DaemonOf(StatePaths.ConsoleServerFiles server) => new(server.PidFile, argv =>
    {
        for (var i = 0; i + 1 < argv.Count; i++)
        {
            if (argv[i] == "--log-file" && argv[i + 1] == server.LogFile)
            {
                return true;
            }
        }

        return false;
    });
}
