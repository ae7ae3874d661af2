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

/// <summary>
/// Browser console bridges: one detached websockify per bridge serving noVNC, with a random token that
/// every WebSocket must present. Follows its VM: stopping or removing the VM stops its bridge.
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

        ValidateListenAddress(name, request.ListenAddress);
        var webRoot = FindWebRoot(name, request.WebRoot);
        var (cert, key) = ValidateCertificate(name, request.CertificatePath, request.KeyPath);
        if (NativeRunner.FindExecutable(WebsockifyArguments.Program) is null)
        {
            throw new HeadlessVmException("WebsockifyNotInstalled", FailureKind.NotInstalled, name,
                "websockify is not installed, so the browser console cannot be served. On Debian: apt-get install websockify novnc.");
        }

        using (Vms.Store.Lock(cancellationToken))
        {
            var paths = PathsFor(name);
            var existing = Read(paths);
            if (existing is not null && FindProcess(paths) is not null)
            {
                if (existing.Target != target)
                {
                    throw new HeadlessVmException("BridgeExists", FailureKind.ResourceExists, name,
                        $"A bridge named '{name}' already runs, to {existing.Target}. Stop it with Stop-VncBridge, or choose another -BridgeName.");
                }

                Host.Verbose($"A bridge for '{name}' already runs on {WebsockifyArguments.HostPort(existing.ListenAddress, existing.WebPort)}; returning it.");
                return Inspect(existing, paths);
            }

            var port = ChoosePort(name, request.ListenAddress, request.WebPort);
            var record = new VncBridgeRecord(name, request.VmName, target, request.ListenAddress, port, webRoot, cert, key, DateTimeOffset.Now);
            Launch(record, paths, tokenTarget, cancellationToken);
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

    /// <summary>Revokes the token, ends websockify (and any connection it serves) and forgets the bridge.</summary>
    public VncBridge Stop(string name, CancellationToken cancellationToken = default)
    {
        var paths = PathsFor(name);
        var record = Read(paths) ?? throw new HeadlessVmException("BridgeNotFound", FailureKind.ObjectNotFound, name,
            $"There is no console bridge named '{name}'. Get-VncBridge lists the bridges there are.");
        Kill(name, paths, cancellationToken);
        foreach (var file in new[] { paths.RecordFile, paths.PidFile })
        {
            PrivateFiles.TryDelete(file);
        }

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

        return new VncBridge(record, BridgeState.Stopped, null, null, paths.Folder);
    }

    void IVmCompanion.OnVmStopped(string vmName, IVmHost host) => StopIfAny(vmName, host);

    void IVmCompanion.OnVmRemoving(string vmName, IVmHost host) => StopIfAny(vmName, host);

    void IVmCompanion.Decorate(VmObject vm)
    {
        var paths = new BridgePaths(Paths.ForVm(vm.Name).Folder);
        if (File.Exists(paths.RecordFile) && Read(paths) is { } record)
        {
            vm.ConsoleUrl = Inspect(record, paths).Url;
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

    private VncBridge Inspect(VncBridgeRecord record, BridgePaths paths)
    {
        var pid = FindProcess(paths);
        Uri? url = null;
        if (pid is not null && PrivateFiles.TryReadAllText(paths.TokenFile) is { } tokenLine)
        {
            var token = tokenLine.Split(':', 2)[0].Trim();
            var password = record.VmName is null ? null : Vms.ReadVncPassword(record.VmName);
            url = ConsoleUrl.Build(record.ListenAddress, record.WebPort, record.CertificatePath is not null, token, password);
        }

        return new VncBridge(record, pid is null ? BridgeState.Stopped : BridgeState.Running, pid, url, paths.Folder);
    }

    private void Launch(VncBridgeRecord record, BridgePaths paths, string tokenTarget, CancellationToken cancellationToken)
    {
        var name = record.Name;
        PrivateFiles.EnsureFolder(paths.Folder);
        PrivateFiles.TryDelete(paths.PidFile);
        PrivateFiles.WriteAllText(paths.TokenFile, WebsockifyArguments.TokenLine(NewToken(), tokenTarget));
        // websockify opens its log with the default umask; made here first, it stays 0600.
        if (!File.Exists(paths.LogFile))
        {
            PrivateFiles.WriteAllText(paths.LogFile, string.Empty);
        }

        PrivateFiles.WriteAllText(paths.RecordFile, JsonSerializer.Serialize(record, Json));
        var command = WebsockifyArguments.Build(new WebsockifyOptions(
            record.ListenAddress, record.WebPort, record.WebRoot, paths.TokenFile, paths.LogFile, record.CertificatePath, record.KeyPath));
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

            var pid = WaitForDaemon(name, paths, cancellationToken);
            PrivateFiles.WriteAllText(paths.PidFile, pid.ToString(CultureInfo.InvariantCulture));
            WaitForListener(name, record, pid, cancellationToken);
            Host.Verbose($"Console bridge '{name}' runs: websockify PID {pid} on {WebsockifyArguments.HostPort(record.ListenAddress, record.WebPort)} to {record.Target}.");
        }
        catch
        {
            Kill(name, paths, CancellationToken.None);
            PrivateFiles.TryDelete(paths.RecordFile);
            PrivateFiles.TryDelete(paths.PidFile);
            throw;
        }
    }

    /// <summary>
    /// The daemon's PID. websockify -D double-forks and writes no pidfile, so the process is found by
    /// its command line, which names this bridge's own log file; forked per-connection handlers carry
    /// the same command line, so the one whose parent is not a match is the listener.
    /// </summary>
    private int WaitForDaemon(string name, BridgePaths paths, CancellationToken cancellationToken)
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
                    $"websockify reported that the bridge '{name}' started, but no websockify process was found for it. {TailOf(paths.LogFile)}");
            }

            cancellationToken.WaitHandle.WaitOne(50);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void WaitForListener(string name, VncBridgeRecord record, int pid, CancellationToken cancellationToken)
    {
        var host = ConnectableHost(record.ListenAddress);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(host, record.WebPort);
                return;
            }
            catch (SocketException)
            {
                if (!ProcessInfo.IsAlive(pid) || DateTime.UtcNow > deadline)
                {
                    throw new HeadlessVmException("WebsockifyNotListening", FailureKind.InvalidOperation, name,
                        $"websockify (PID {pid}) does not accept connections on {WebsockifyArguments.HostPort(record.ListenAddress, record.WebPort)}.");
                }
            }

            cancellationToken.WaitHandle.WaitOne(50);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The bridge's websockify PID, checked against /proc: alive, and its command line names this bridge's log.</summary>
    private static int? FindProcess(BridgePaths paths)
    {
        if (!int.TryParse(PrivateFiles.TryReadAllText(paths.PidFile)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        return ProcessInfo.IsAlive(pid) && IsBridgeProcess(ProcessInfo.CommandLine(pid), paths) ? pid : null;
    }

    private static bool IsBridgeProcess(IReadOnlyList<string>? argv, BridgePaths paths)
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

    private static IEnumerable<int> Matching(BridgePaths paths)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ProcessInfo.IsAlive(pid) && IsBridgeProcess(ProcessInfo.CommandLine(pid), paths))
            {
                yield return pid;
            }
        }
    }

    /// <summary>Revokes the token first, then ends the listener and every connection handler it forked.</summary>
    private void Kill(string name, BridgePaths paths, CancellationToken cancellationToken)
    {
        PrivateFiles.TryDelete(paths.TokenFile);
        var pid = FindProcess(paths);
        if (pid is not null)
        {
            Host.Verbose($"Bridge '{name}': sending SIGTERM to websockify (PID {pid}).");
            ProcessInfo.Signal(pid.Value, ProcessInfo.SIGTERM);
            if (!ProcessInfo.WaitForExit(pid.Value, TimeSpan.FromSeconds(5), cancellationToken))
            {
                ProcessInfo.Signal(pid.Value, ProcessInfo.SIGKILL);
                ProcessInfo.WaitForExit(pid.Value, TimeSpan.FromSeconds(5), cancellationToken);
            }
        }

        foreach (var straggler in Matching(paths).ToArray())
        {
            ProcessInfo.Signal(straggler, ProcessInfo.SIGKILL);
            ProcessInfo.WaitForExit(straggler, TimeSpan.FromSeconds(5), cancellationToken);
        }
    }

    private int ChoosePort(string name, string listenAddress, int? requested)
    {
        if (requested is not null)
        {
            if (requested is < 1 or > 65535)
            {
                throw new HeadlessVmException("InvalidWebPort", FailureKind.InvalidArgument, name,
                    $"Web port {requested} is out of range (1 to 65535).");
            }

            if (!Ports.IsFree(listenAddress, requested.Value))
            {
                throw new HeadlessVmException("WebPortInUse", FailureKind.ResourceUnavailable, name,
                    $"Port {requested} on {listenAddress} is already in use. Choose another -WebPort, or leave it out to get a free one from {DefaultWebPort}.");
            }

            return requested.Value;
        }

        // Ports of other bridges' records count as taken even while those are briefly down.
        var taken = List().Where(b => b.Name != name && b.State == BridgeState.Running).Select(b => b.WebPort).ToHashSet();
        for (var port = DefaultWebPort; port < DefaultWebPort + PortSearchSpan; port++)
        {
            if (!taken.Contains(port) && Ports.IsFree(listenAddress, port))
            {
                if (port != DefaultWebPort)
                {
                    Host.Verbose($"Port {DefaultWebPort} is taken; the console of '{name}' uses port {port}.");
                }

                return port;
            }
        }

        throw new HeadlessVmException("NoFreeWebPort", FailureKind.ResourceUnavailable, name,
            $"No free web port between {DefaultWebPort} and {DefaultWebPort + PortSearchSpan - 1} on {listenAddress}. Pass -WebPort.");
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
