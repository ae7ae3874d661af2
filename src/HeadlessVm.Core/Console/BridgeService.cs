using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Core.Console;

/// <summary>What Start-VncBridge asks for. Exactly one of <see cref="VmName"/> and <see cref="Target"/> is set.</summary>
public sealed record BridgeRequest(
    string? VmName,
    string? Target,
    string? Name,
    int? WebPort,
    string ListenAddress,
    string? WebRoot,
    string? CertificatePath,
    string? KeyPath);

/// <summary>The settings that decide whether bridges can share one websockify: equal settings, one process.</summary>
public sealed record ConsoleServerRecord(
    string ListenAddress,
    int WebPort,
    string WebRoot,
    string? CertificatePath,
    string? KeyPath,
    DateTimeOffset Created)
{
    public bool Serves(ConsoleServerRecord other) =>
        ListenAddress == other.ListenAddress && WebRoot == other.WebRoot
        && CertificatePath == other.CertificatePath && KeyPath == other.KeyPath;
}

/// <summary>
/// Browser console bridges. A console server is one detached websockify serving noVNC on an address and
/// port; every bridge on it is one random token that maps to one VNC server, so a second VM's console
/// costs a token file, not a process. Bridges follow their VM: stopping or removing the VM stops its
/// bridge, and a server whose last bridge goes stops too.
/// </summary>
public sealed class BridgeService : IVmCompanion
{
    public const int DefaultWebPort = 6080;
    public const string DefaultWebRoot = "/usr/share/novnc";
    private const int PortSearchSpan = 100;

    // Records are written like the VMs' own.
    private static JsonSerializerOptions Json => VmStore.Json;

    public BridgeService(VmService vms) => Vms = vms;

    public VmService Vms { get; }

    private StatePaths Paths => Vms.Store.Paths;

    private IVmHost Host => Vms.Host;

    /// <summary>The folder of a bridge: the VM's folder when a VM of that name exists, else under bridges/.</summary>
    public BridgePaths PathsFor(string name)
    {
        VmStore.ValidateName(name);
        return Vms.Store.Exists(name)
            ? new BridgePaths(Paths.ForVm(name).Folder)
            : new BridgePaths(Path.Combine(Paths.BridgesFolder, name));
    }

    public ConsoleServerPaths ServerPaths(string listenAddress, int webPort) => new(Paths.ConsolesFolder, listenAddress, webPort);

    /// <summary>
    /// Makes sure a console server with these settings runs, without adding a bridge: Start-VncBridge
    /// calls it before its pipeline input arrives, so websockify starts while qemu does. Returns the
    /// server, which <see cref="StopIfIdle"/> stops again if no bridge ever joins it.
    /// </summary>
    public ConsoleServerRecord Prepare(BridgeRequest request, CancellationToken cancellationToken = default)
    {
        var name = request.VmName ?? request.Name ?? "console";
        var settings = Settings(name, request);
        using (Vms.Store.LockFile(Paths.BridgeLockFile, cancellationToken))
        {
            return EnsureServer(name, settings, request.WebPort, cancellationToken, joining: false);
        }
    }

    /// <summary>Stops the console server if no bridge uses it (a prepared server whose pipeline brought no VM).</summary>
    public void StopIfIdle(ConsoleServerRecord server)
    {
        using (Vms.Store.LockFile(Paths.BridgeLockFile))
        {
            var paths = ServerPaths(server.ListenAddress, server.WebPort);
            if (!HasTokens(paths))
            {
                StopServer(paths);
            }
        }
    }

    public VncBridge Start(BridgeRequest request, CancellationToken cancellationToken = default)
    {
        string name;
        string target;
        string tokenTarget;
        if (request.VmName is not null)
        {
            name = request.VmName;
            var spec = Vms.Store.Get(name);
            if (Vms.FindProcess(spec) is null)
            {
                throw new HeadlessVmException("VmNotRunning", FailureKind.InvalidOperation, name,
                    $"VM '{name}' is not running, so there is no screen to bridge. Start it with Start-HeadlessVm.");
            }

            var vncHost = ConnectableHost(spec.ListenAddress);
            target = WebsockifyArguments.HostPort(vncHost, spec.VncPort);
            tokenTarget = $"{vncHost}:{spec.VncPort}";
        }
        else
        {
            (var host, var port) = ParseTarget(request.Target ?? string.Empty);
            target = WebsockifyArguments.HostPort(host, port);
            tokenTarget = $"{host}:{port}";
            name = request.Name ?? DefaultName(host, port);
            VmStore.ValidateName(name);
            if (Vms.Store.Exists(name))
            {
                throw new HeadlessVmException("BridgeNameInUse", FailureKind.ResourceExists, name,
                    $"'{name}' is the name of a VM. Give the bridge to {target} another -BridgeName.");
            }
        }

        var settings = Settings(name, request);
        using (Vms.Store.LockFile(Paths.BridgeLockFile, cancellationToken))
        {
            var paths = PathsFor(name);
            if (Read(paths) is { } existing)
            {
                var current = Inspect(existing, paths);
                if (current.State == BridgeState.Running)
                {
                    if (existing.Target != target)
                    {
                        throw new HeadlessVmException("BridgeExists", FailureKind.ResourceExists, name,
                            $"A bridge named '{name}' already runs, to {existing.Target}. Stop it with Stop-VncBridge, or choose another -BridgeName.");
                    }

                    Host.Verbose($"A bridge for '{name}' already runs on {WebsockifyArguments.HostPort(existing.ListenAddress, existing.WebPort)}; returning it.");
                    return current;
                }

                // A bridge whose server died: its old token goes, a new one is issued below.
                Detach(existing, paths);
            }

            var server = EnsureServer(name, settings, request.WebPort, cancellationToken);
            var serverPaths = ServerPaths(server.ListenAddress, server.WebPort);
            var record = new VncBridgeRecord(name, request.VmName, target, server.ListenAddress, server.WebPort, server.WebRoot,
                server.CertificatePath, server.KeyPath, DateTimeOffset.Now);
            try
            {
                PrivateFiles.WriteRuntimeText(paths.RecordFile, JsonSerializer.Serialize(record, Json));
                // Written beside the tokens folder and renamed in: websockify lists that folder on every connection.
                PrivateFiles.WriteRuntimeText(serverPaths.TokenFile(name), WebsockifyArguments.TokenLine(NewToken(), tokenTarget), serverPaths.Folder);
            }
            catch
            {
                Detach(record, paths);
                throw;
            }

            Host.Verbose($"Console bridge '{name}' serves {target} on {WebsockifyArguments.HostPort(server.ListenAddress, server.WebPort)}.");
            return Inspect(record, paths);
        }
    }

    /// <summary>Every bridge in the store, VM bridges and -Target bridges, by name, with live state.</summary>
    public IReadOnlyList<VncBridge> List()
    {
        var result = new List<VncBridge>();
        foreach (var spec in Vms.Store.List())
        {
            var paths = new BridgePaths(Paths.ForVm(spec.Name).Folder);
            if (Read(paths) is { } record)
            {
                result.Add(Inspect(record, paths));
            }
        }

        if (Directory.Exists(Paths.BridgesFolder))
        {
            foreach (var folder in Directory.EnumerateDirectories(Paths.BridgesFolder))
            {
                var paths = new BridgePaths(folder);
                if (VmStore.IsValidName(Path.GetFileName(folder)) && Read(paths) is { } record)
                {
                    result.Add(Inspect(record, paths));
                }
            }
        }

        result.Sort((a, b) => StringComparer.Ordinal.Compare(a.Name, b.Name));
        return result;
    }

    /// <summary>The bridge of that name (a VM's or a -Target bridge's), or null.</summary>
    public VncBridge? Find(string name)
    {
        if (!VmStore.IsValidName(name))
        {
            return null;
        }

        var paths = PathsFor(name);
        return Read(paths) is { } record ? Inspect(record, paths) : null;
    }

    /// <summary>The console URL of a running bridge; BridgeNotRunning otherwise.</summary>
    public Uri GetUrl(string name)
    {
        var bridge = Find(name);
        if (bridge is null && !Vms.Store.Exists(name))
        {
            throw new HeadlessVmException("BridgeNotFound", FailureKind.ObjectNotFound, name,
                $"There is no VM and no bridge named '{name}'. Get-HeadlessVm and Get-VncBridge list them.");
        }

        if (bridge?.Url is null)
        {
            throw new HeadlessVmException("BridgeNotRunning", FailureKind.ResourceUnavailable, name,
                $"No console bridge is running for '{name}'. Run Start-VncBridge -VmName {name} first.");
        }

        return bridge.Url;
    }

    /// <summary>
    /// Revokes the bridge's token, ends the connections it serves and forgets it; its console server
    /// stops when this was its last bridge.
    /// </summary>
    public VncBridge Stop(string name, CancellationToken cancellationToken = default)
    {
        using (Vms.Store.LockFile(Paths.BridgeLockFile, cancellationToken))
        {
            var paths = PathsFor(name);
            var record = Read(paths) ?? throw new HeadlessVmException("BridgeNotFound", FailureKind.ObjectNotFound, name,
                $"There is no console bridge named '{name}'. Get-VncBridge lists the bridges there are.");
            Detach(record, paths);
            return new VncBridge(record, BridgeState.Stopped, null, null, paths.Folder);
        }
    }

    void IVmCompanion.OnVmStopped(string vmName, IVmHost host) => StopIfAny(vmName, host);

    void IVmCompanion.OnVmRemoving(string vmName, IVmHost host) => StopIfAny(vmName, host);

    void IVmCompanion.Decorate(VmObject vm)
    {
        var paths = new BridgePaths(Paths.ForVm(vm.Name).Folder);
        if (File.Exists(paths.RecordFile) && Read(paths) is { } record)
        {
            vm.ConsoleUrl = Inspect(record, paths, vmRunning: vm.ProcessId is not null).Url;
        }
    }

    private void StopIfAny(string vmName, IVmHost host)
    {
        var paths = new BridgePaths(Paths.ForVm(vmName).Folder);
        if (File.Exists(paths.RecordFile))
        {
            host.Verbose($"Stopping the console bridge of VM '{vmName}'.");
            Stop(vmName);
        }
    }

    /// <summary>
    /// The bridge as it is now: Running while its server runs, its token is there, and (for a VM's bridge)
    /// its VM runs; a VM that powered itself off or was killed leaves no console to open.
    /// </summary>
    private VncBridge Inspect(VncBridgeRecord record, BridgePaths paths, bool? vmRunning = null)
    {
        var server = ServerPaths(record.ListenAddress, record.WebPort);
        var pid = FindProcess(server);
        vmRunning ??= record.VmName is null || (Vms.Store.Find(record.VmName) is { } spec && Vms.FindProcess(spec) is not null);
        Uri? url = null;
        if (pid is not null && vmRunning == true && PrivateFiles.TryReadAllText(server.TokenFile(record.Name)) is { } tokenLine)
        {
            var token = tokenLine.Split(':', 2)[0].Trim();
            var password = record.VmName is null ? null : Vms.ReadVncPassword(record.VmName);
            url = ConsoleUrl.Build(record.ListenAddress, record.WebPort, record.CertificatePath is not null, token, password);
        }

        return url is null
            ? new VncBridge(record, BridgeState.Stopped, null, null, paths.Folder)
            : new VncBridge(record, BridgeState.Running, pid, url, paths.Folder);
    }

    /// <summary>Revokes a bridge's token first, then ends its live connections, then forgets it; an idle server stops.</summary>
    private void Detach(VncBridgeRecord record, BridgePaths paths)
    {
        var server = ServerPaths(record.ListenAddress, record.WebPort);
        PrivateFiles.TryDelete(server.TokenFile(record.Name));
        PrivateFiles.TryDelete(paths.RecordFile);
        if (record.VmName is null)
        {
            try
            {
                Directory.Delete(paths.Folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        if (!HasTokens(server))
        {
            StopServer(server);
        }
        else if (FindProcess(server) is { } pid)
        {
            EndConnections(record, pid);
        }
    }

    /// <summary>
    /// websockify forks a handler per browser connection; the handlers connected to this bridge's VNC
    /// server are ended, so a revoked console goes dark at once and the other bridges' viewers stay.
    /// </summary>
    private void EndConnections(VncBridgeRecord record, int serverPid)
    {
        var colon = record.Target.LastIndexOf(':');
        var host = record.Target[..colon].Trim('[', ']');
        var port = int.Parse(record.Target[(colon + 1)..], CultureInfo.InvariantCulture);
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var ip) ? new[] { ip } : Dns.GetHostAddresses(host);
        }
        catch (SocketException)
        {
            return;
        }

        foreach (var handler in ProcessInfo.Children(serverPid))
        {
            if (Sockets.RemoteEndPoints(handler).Any(e => e.Port == port && addresses.Contains(e.Address)))
            {
                Host.Verbose($"Bridge '{record.Name}': ending its connection handler (websockify PID {handler}).");
                ProcessInfo.Signal(handler, ProcessInfo.SIGKILL);
                ProcessInfo.WaitForExit(handler, TimeSpan.FromSeconds(5));
            }
        }
    }

    private static bool HasTokens(ConsoleServerPaths server) =>
        Directory.Exists(server.TokensFolder) && Directory.EnumerateFiles(server.TokensFolder).Any();

    /// <summary>The settings a request asks for, checked: address, web client, certificate, websockify installed.</summary>
    private static ConsoleServerRecord Settings(string name, BridgeRequest request)
    {
        ValidateListenAddress(name, request.ListenAddress);
        var webRoot = FindWebRoot(name, request.WebRoot);
        var (cert, key) = ValidateCertificate(name, request.CertificatePath, request.KeyPath);
        if (NativeRunner.FindExecutable(WebsockifyArguments.Program) is null)
        {
            throw new HeadlessVmException("WebsockifyNotInstalled", FailureKind.NotInstalled, name,
                "websockify is not installed, so the browser console cannot be served. On Debian: apt-get install websockify novnc.");
        }

        if (request.WebPort is < 1 or > 65535)
        {
            throw new HeadlessVmException("InvalidWebPort", FailureKind.InvalidArgument, name,
                $"Web port {request.WebPort} is out of range (1 to 65535).");
        }

        return new ConsoleServerRecord(request.ListenAddress, request.WebPort ?? DefaultWebPort, webRoot, cert, key, DateTimeOffset.Now);
    }

    /// <summary>
    /// A running console server with these settings: the one on the requested port, else the first one
    /// on this address; started on the requested port, or the first free one from 6080, when there is none.
    /// Called under the bridge lock.
    /// </summary>
    private ConsoleServerRecord EnsureServer(string name, ConsoleServerRecord wanted, int? requestedPort, CancellationToken cancellationToken, bool joining = true)
    {
        var servers = ListServers();
        if (requestedPort is { } port)
        {
            var there = servers.FirstOrDefault(s => s.Record.ListenAddress == wanted.ListenAddress && s.Record.WebPort == port);
            if (there.Record is not null && there.Pid is not null)
            {
                if (!there.Record.Serves(wanted))
                {
                    throw new HeadlessVmException("WebPortInUse", FailureKind.ResourceUnavailable, name,
                        $"Port {port} on {wanted.ListenAddress} already serves consoles with other settings ({Describe(there.Record)}). " +
                        "Choose another -WebPort, or use the same -WebRoot and certificate.");
                }

                return there.Record;
            }

            if (!Ports.IsFree(wanted.ListenAddress, port))
            {
                throw new HeadlessVmException("WebPortInUse", FailureKind.ResourceUnavailable, name,
                    $"Port {port} on {wanted.ListenAddress} is already in use. Choose another -WebPort, or leave it out to get a free one from {DefaultWebPort}.");
            }

            return Launch(name, wanted with { WebPort = port }, cancellationToken);
        }

        var shared = servers
            .Where(s => s.Pid is not null && s.Record.Serves(wanted))
            .OrderBy(s => s.Record.WebPort)
            .Select(s => s.Record)
            .FirstOrDefault();
        if (shared is not null)
        {
            Host.Verbose($"The console server on {WebsockifyArguments.HostPort(shared.ListenAddress, shared.WebPort)} already runs" +
                (joining ? $"; '{name}' joins it." : "."));
            return shared;
        }

        // Ports of other servers' records count as taken even while those are briefly down.
        var taken = servers.Where(s => s.Pid is not null || !s.Record.Serves(wanted)).Select(s => s.Record.WebPort).ToHashSet();
        for (var candidate = DefaultWebPort; candidate < DefaultWebPort + PortSearchSpan; candidate++)
        {
            if (!taken.Contains(candidate) && Ports.IsFree(wanted.ListenAddress, candidate))
            {
                if (candidate != DefaultWebPort)
                {
                    Host.Verbose($"Port {DefaultWebPort} is taken; the console of '{name}' uses port {candidate}.");
                }

                return Launch(name, wanted with { WebPort = candidate }, cancellationToken);
            }
        }

        throw new HeadlessVmException("NoFreeWebPort", FailureKind.ResourceUnavailable, name,
            $"No free web port between {DefaultWebPort} and {DefaultWebPort + PortSearchSpan - 1} on {wanted.ListenAddress}. Pass -WebPort.");
    }

    private static string Describe(ConsoleServerRecord server) =>
        $"web root {server.WebRoot}, " + (server.CertificatePath is null ? "no TLS" : $"TLS with {server.CertificatePath}");

    /// <summary>Every console server on record, with its websockify PID when it runs.</summary>
    private List<(ConsoleServerRecord Record, int? Pid)> ListServers()
    {
        var result = new List<(ConsoleServerRecord, int?)>();
        if (!Directory.Exists(Paths.ConsolesFolder))
        {
            return result;
        }

        foreach (var folder in Directory.EnumerateDirectories(Paths.ConsolesFolder))
        {
            try
            {
                if (PrivateFiles.TryReadAllText(Path.Combine(folder, "server.json")) is { } text
                    && JsonSerializer.Deserialize<ConsoleServerRecord>(text, Json) is { } record)
                {
                    result.Add((record, FindProcess(ServerPaths(record.ListenAddress, record.WebPort))));
                }
            }
            catch (JsonException)
            {
            }
        }

        return result;
    }

    private ConsoleServerRecord Launch(string name, ConsoleServerRecord record, CancellationToken cancellationToken)
    {
        var paths = ServerPaths(record.ListenAddress, record.WebPort);
        PrivateFiles.EnsureFolder(paths.TokensFolder);
        PrivateFiles.TryDelete(paths.PidFile);
        // websockify opens its log with the default umask; made here first, it stays 0600.
        if (!File.Exists(paths.LogFile))
        {
            PrivateFiles.WriteRuntimeText(paths.LogFile, string.Empty);
        }

        PrivateFiles.WriteRuntimeText(paths.RecordFile, JsonSerializer.Serialize(record, Json));
        var command = WebsockifyLauncher.Prepare(WebsockifyArguments.Build(new WebsockifyOptions(
            record.ListenAddress, record.WebPort, record.WebRoot, paths.TokensFolder, paths.LogFile, record.CertificatePath, record.KeyPath)), Paths);
        Host.Verbose("Running: " + command.Display);
        try
        {
            var result = NativeRunner.Run(command, cancellationToken, paths.Folder);
            if (result.ExitCode != 0)
            {
                var message = (result.StandardError.Trim() is { Length: > 0 } e ? e : result.StandardOutput.Trim());
                var inUse = message.Contains("Address already in use", StringComparison.OrdinalIgnoreCase);
                throw new NativeCommandException(inUse ? "WebPortInUse" : "WebsockifyStartFailed",
                    inUse ? FailureKind.ResourceUnavailable : FailureKind.InvalidOperation, name,
                    $"websockify refused to serve the console of '{name}' on {WebsockifyArguments.HostPort(record.ListenAddress, record.WebPort)}: {LastLine(message)}",
                    command.Program, result.ExitCode, result.StandardError);
            }

            // websockify binds and listens before it forks, so the port already accepts connections.
            var pid = WaitForDaemon(name, paths, cancellationToken);
            PrivateFiles.WriteRuntimeText(paths.PidFile, pid.ToString(CultureInfo.InvariantCulture));
            Host.Verbose($"Console server runs: websockify PID {pid} on {WebsockifyArguments.HostPort(record.ListenAddress, record.WebPort)}.");
            return record;
        }
        catch
        {
            StopServer(paths);
            throw;
        }
    }

    /// <summary>
    /// The daemon's PID. websockify -D double-forks and writes no pidfile, so the process is found by
    /// its command line, which names this server's own log file; forked per-connection handlers carry
    /// the same command line, so the one whose parent is not a match is the listener.
    /// </summary>
    private static int WaitForDaemon(string name, ConsoleServerPaths paths, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var matches = Matching(paths).ToArray();
            var listener = matches.Where(p => !matches.Contains(ProcessInfo.ParentId(p))).ToArray();
            if (listener.Length > 0)
            {
                return listener.Min();
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new HeadlessVmException("WebsockifyExitedEarly", FailureKind.InvalidOperation, name,
                    $"websockify reported that the console server started, but no websockify process was found for it. {TailOf(paths.LogFile)}");
            }

            // The second fork takes a millisecond or two: poll cheaply.
            cancellationToken.WaitHandle.WaitOne(2);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The server's websockify PID, checked against /proc: alive, and its command line names this server's log.</summary>
    private static int? FindProcess(ConsoleServerPaths paths)
    {
        if (!int.TryParse(PrivateFiles.TryReadAllText(paths.PidFile)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        return ProcessInfo.IsAlive(pid) && IsServerProcess(ProcessInfo.CommandLine(pid), paths) ? pid : null;
    }

    private static bool IsServerProcess(IReadOnlyList<string>? argv, ConsoleServerPaths paths)
    {
        if (argv is null)
        {
            return false;
        }

        for (var i = 0; i + 1 < argv.Count; i++)
        {
            if (argv[i] == "--log-file" && argv[i + 1] == paths.LogFile)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<int> Matching(ConsoleServerPaths paths) =>
        ProcessInfo.AllIds().Where(pid => ProcessInfo.IsAlive(pid) && IsServerProcess(ProcessInfo.CommandLine(pid), paths));

    /// <summary>Ends the listener and every connection handler it forked, and forgets the server.</summary>
    private void StopServer(ConsoleServerPaths paths)
    {
        var pid = FindProcess(paths);
        if (pid is not null)
        {
            Host.Verbose($"Stopping the console server: SIGTERM to websockify (PID {pid}).");
            ProcessInfo.Signal(pid.Value, ProcessInfo.SIGTERM);
            if (!ProcessInfo.WaitForExit(pid.Value, TimeSpan.FromSeconds(5)))
            {
                ProcessInfo.Signal(pid.Value, ProcessInfo.SIGKILL);
                ProcessInfo.WaitForExit(pid.Value, TimeSpan.FromSeconds(5));
            }
        }

        foreach (var straggler in Matching(paths).ToArray())
        {
            ProcessInfo.Signal(straggler, ProcessInfo.SIGKILL);
            ProcessInfo.WaitForExit(straggler, TimeSpan.FromSeconds(5));
        }

        try
        {
            Directory.Delete(paths.Folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void ValidateListenAddress(string name, string address)
    {
        if (string.IsNullOrWhiteSpace(address) || address.Any(char.IsWhiteSpace) || address.Contains('/'))
        {
            throw new HeadlessVmException("InvalidListenAddress", FailureKind.InvalidArgument, name,
                $"'{address}' is not an address to listen on (such as 127.0.0.1 or 0.0.0.0).");
        }
    }

    private static string FindWebRoot(string name, string? requested)
    {
        var root = Path.GetFullPath(requested ?? DefaultWebRoot);
        if (!File.Exists(Path.Combine(root, "vnc.html")))
        {
            throw requested is null
                ? new HeadlessVmException("NoVncNotInstalled", FailureKind.NotInstalled, name,
                    $"The noVNC web client is not in {DefaultWebRoot}. On Debian: apt-get install novnc, or pass -WebRoot.")
                : new HeadlessVmException("InvalidWebRoot", FailureKind.ObjectNotFound, name,
                    $"'{root}' has no vnc.html, so it is not a noVNC web client folder.");
        }

        return root;
    }

    private static (string? Cert, string? Key) ValidateCertificate(string name, string? certificate, string? key)
    {
        if (certificate is null)
        {
            if (key is not null)
            {
                throw new HeadlessVmException("KeyWithoutCertificate", FailureKind.InvalidArgument, name,
                    "-KeyPath needs -CertificatePath.");
            }

            return (null, null);
        }

        var cert = Path.GetFullPath(certificate);
        var keyPath = key is null ? null : Path.GetFullPath(key);
        foreach (var file in new[] { cert, keyPath }.OfType<string>())
        {
            if (!File.Exists(file))
            {
                throw new HeadlessVmException("CertificateNotFound", FailureKind.ObjectNotFound, name, $"'{file}' does not exist.");
            }
        }

        // websockify only reads the files when a browser connects; check them now to fail early.
        try
        {
            using var x509 = X509Certificate2.CreateFromPemFile(cert, keyPath);
            if (!x509.HasPrivateKey)
            {
                throw new CryptographicException("no private key");
            }
        }
        catch (CryptographicException ex)
        {
            throw new HeadlessVmException("InvalidCertificate", FailureKind.InvalidArgument, name,
                $"'{cert}'{(keyPath is null ? string.Empty : $" with '{keyPath}'")} is not a PEM certificate with its private key: {ex.Message}" +
                (keyPath is null ? " Pass the key file with -KeyPath." : string.Empty), ex);
        }

        return (cert, keyPath);
    }

    private static (string Host, int Port) ParseTarget(string target)
    {
        var colon = target.LastIndexOf(':');
        if (colon > 0 && int.TryParse(target[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
        {
            var host = target[..colon].Trim('[', ']');
            if (host.Length > 0 && !host.Any(char.IsWhiteSpace))
            {
                return (host, port);
            }
        }

        throw new HeadlessVmException("InvalidTarget", FailureKind.InvalidArgument, target,
            $"'{target}' is not a VNC server address. Use host:port, such as 192.168.1.20:5901.");
    }

    private static string DefaultName(string host, int port)
    {
        var clean = new string(host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()).TrimStart('.', '-');
        return $"{clean}-{port}";
    }

    /// <summary>Where to reach a server that listens on an address: a wildcard address is reached on loopback.</summary>
    private static string ConnectableHost(string listenAddress) =>
        IPAddress.TryParse(listenAddress, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            ? (ip.Equals(IPAddress.Any) ? "127.0.0.1" : "::1")
            : listenAddress;

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    private static VncBridgeRecord? Read(BridgePaths paths)
    {
        try
        {
            var text = PrivateFiles.TryReadAllText(paths.RecordFile);
            return text is null ? null : JsonSerializer.Deserialize<VncBridgeRecord>(text, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string LastLine(string text) => text.Trim().Split('\n')[^1].Trim();

    private static string TailOf(string file)
    {
        var text = PrivateFiles.TryReadAllText(file);
        return string.IsNullOrWhiteSpace(text) ? string.Empty : "websockify's log ends: " + text[Math.Max(0, text.Length - 400)..];
    }
}
