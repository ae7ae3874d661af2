using System.Globalization;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core.Console;

/// <summary>
/// Browser console bridges, as Start-VncBridge, Get-VncBridge, Stop-VncBridge and Get-VmConsoleUrl use
/// them. A bridge is one random token on a console server (<see cref="ConsoleServers"/>) that maps to one
/// VNC server: a VM's, as its backend reports it (<see cref="IVmBackend.FindConsoleEndpoint"/>), or any
/// host:port (-Target). Bridges follow their VM: the backend stops a VM's bridge with the VM. A libvirt VM's
/// bridge is named HOST~VM (<see cref="BridgeNames"/>) and its record says where the VM lives. A VM on another host is
/// served through an ssh tunnel (<see cref="SshTunnels"/>): its forward is made or refreshed (a master that died, a VNC
/// port that changed) whenever its bridge is started, listed or asked for its URL, under the host's tunnel lock, which
/// is taken before the bridge lock.
/// </summary>
public sealed partial class Bridges
{
    private readonly IVmBackend _vms;
    private readonly Func<HostTarget, CancellationToken, IVmBackend> _backendFor;
    private readonly BridgeRecords _records;
    private readonly ConsoleServers _servers;
    private readonly SshTunnels _tunnels;
    private readonly IVmHost _host;

    /// <param name="vms">The folder store.</param>
    /// <param name="backendFor">The backend of a libvirt host (opening its connection if need be).</param>
    /// <param name="tunnels">The ssh tunnels to other hosts' consoles.</param>
    public Bridges(IVmBackend vms, Func<HostTarget, CancellationToken, IVmBackend> backendFor, BridgeRecords records, ConsoleServers servers,
        SshTunnels tunnels, IVmHost host)
    {
        _vms = vms;
        _backendFor = backendFor;
        _records = records;
        _servers = servers;
        _tunnels = tunnels;
        _host = host;
    }

    /// <summary>
    /// Makes sure a console server with these settings runs, without adding a bridge: Start-VncBridge
    /// calls it before its pipeline input arrives, so websockify starts while qemu does. Returns the
    /// server, which <see cref="StopIfIdle"/> stops again if no bridge ever joins it.
    /// </summary>
    public ConsoleServerRecord Prepare(BridgeRequest request, CancellationToken cancellationToken = default)
    {
        var name = request.VmName ?? request.Name ?? "console";
        var settings = ConsoleSettings.Check(name, request);
        using (_records.Lock(cancellationToken))
        {
            return _servers.Ensure(name, settings, request.WebPort, cancellationToken, joining: false);
        }
    }

    /// <summary>Stops the console server if no bridge uses it (a prepared server whose pipeline brought no VM).</summary>
    public void StopIfIdle(ConsoleServerRecord server)
    {
        using (_records.Lock())
        {
            _servers.StopIfIdle(_servers.FilesOf(server.ListenAddress, server.WebPort));
        }
    }

    /// <summary>
    /// Starts a bridge to a running VM (<see cref="BridgeRequest.VmName"/>) or to any VNC server
    /// (<see cref="BridgeRequest.Target"/>). A running bridge of that name to the same place is returned
    /// as it is; one whose server died gets a new token. Warns when it serves a network in clear text.
    /// </summary>
    public VncBridge Start(BridgeRequest request, CancellationToken cancellationToken = default)
    {
        _tunnels.Sweep(cancellationToken);
        var (bridge, endpoint) = StartOrFind(request, cancellationToken);
        if (!Ports.IsLoopback(bridge.ListenAddress) && !bridge.Secure)
        {
            _host.Warning($"The console of '{bridge.Name}' listens on {bridge.ListenAddress} without TLS: the token and the screen cross the network in clear text. Pass -CertificatePath to serve https.");
        }

        if (endpoint is { CrossesNetwork: true })
        {
            _host.Warning($"The console of '{bridge.Name}' connects straight to {endpoint.Display} (its host's -ConsoleVia is Direct): VNC, and the screen with it, " +
                "crosses the network unencrypted. Register the host with -ConsoleVia ssh://USER@HOST to tunnel it through ssh instead.");
        }

        if (endpoint is { Password: null })
        {
            _host.Warning($"The VNC server of VM '{request.VmName}' asks for no password: only the console's token protects its screen. " +
                "Give it one (virsh edit: passwd='...' on its <graphics>) to have a second lock.");
        }

        return bridge;
    }

    private (VncBridge Bridge, ConsoleEndpoint? Endpoint) StartOrFind(BridgeRequest request, CancellationToken cancellationToken)
    {
        var host = request.Host ?? HostTarget.Local;
        var (name, target, tokenTarget, endpoint) = request.VmName is { } vmName ? ToVm(host, vmName, cancellationToken) : ToTarget(request);
        var settings = ConsoleSettings.Check(name, request);
        // Another host's VM: its forward first, under the host's tunnel lock, held until the bridge is recorded.
        using var tunnel = endpoint?.Tunnel is { } remote ? _tunnels.Open(remote, cancellationToken) : null;
        try
        {
            return Record(request, host, name, target, tokenTarget, endpoint, settings, cancellationToken);
        }
        catch when (tunnel is not null)
        {
            Undo(tunnel);
            throw;
        }
    }

    private (VncBridge Bridge, ConsoleEndpoint? Endpoint) Record(BridgeRequest request, HostTarget host, string name, string target, string tokenTarget,
        ConsoleEndpoint? endpoint, ConsoleServerRecord settings, CancellationToken cancellationToken)
    {
        using (_records.Lock(cancellationToken))
        {
            var files = _records.FilesOf(name);
            var read = VncBridgeRecord.Read(files, name);
            if (read.Damaged)
            {
                // A bridge that cannot be read back is replaced: that is what starting it again means.
                _host.Warning(HeadlessVmErrors.BridgeRecordDamaged(name, files.RecordFile, read.Damage!).Message + " It is replaced by a new one.");
                _records.ForgetDamaged(name, files);
            }
            else if (read.Value is { } existing)
            {
                if (RunningAsIs(request, settings, existing, files, target) is { } current)
                {
                    return (current, null);
                }

                // A bridge whose server died, whose token is damaged, or that -Force replaces: its old
                // token goes, a new one is issued below.
                _records.Detach(existing, files);
            }

            var server = _servers.Ensure(name, settings, request.WebPort, cancellationToken);
            var record = new VncBridgeRecord(name, request.VmName, target, server.ListenAddress, server.WebPort, server.WebRoot,
                server.CertificatePath, server.KeyPath, DateTimeOffset.Now,
                request.VmName is null || host.IsLocalStore ? null : host.ComputerName, request.VmName is null ? null : host.ConnectionUri);
            try
            {
                record.Write(files);
                TokenLine.New(tokenTarget).Write(_servers.FilesOf(server.ListenAddress, server.WebPort), name);
            }
            catch
            {
                _records.Detach(record, files);
                throw;
            }

            _host.Verbose($"Console bridge '{name}' serves {target} on {WebsockifyArguments.HostPort(server.ListenAddress, server.WebPort)}.");
            // The VM's endpoint was just read (its password with it): asking its host again would cost another round trip.
            var started = endpoint is null ? Inspect(record, files, refreshTunnel: false) : _records.Inspect(record, files, vmRunning: true, () => endpoint.Password);
            return (started, endpoint);
        }
    }

    /// <summary>A bridge that could not be recorded leaves no forward (a failure to undo it is reported, not thrown over the first).</summary>
    private void Undo(TunnelLease tunnel)
    {
        try
        {
            tunnel.Cancel();
        }
        catch (HeadlessVmException e)
        {
            _host.Debug($"Undoing the console tunnel: {e.Message}");
        }
    }

    /// <summary>
    /// The running bridge to return as it is, or null when it must be (re)made: its server died, its token
    /// is damaged, or <see cref="BridgeRequest.Force"/> replaces it for other settings. BridgeExists when it
    /// goes elsewhere, BridgeSettingsDiffer when the request names other settings without -Force.
    /// </summary>
    private VncBridge? RunningAsIs(BridgeRequest request, ConsoleServerRecord settings, VncBridgeRecord existing, StatePaths.BridgeFiles files, string target)
    {
        VncBridge current;
        try
        {
            current = Inspect(existing, files, refreshTunnel: false);
        }
        catch (HeadlessVmException ex) when (ex.ErrorId == ErrorIds.BridgeRecordDamaged)
        {
            _host.Warning(ex.Message + " It gets a new token.");
            return null;
        }

        if (current.State != BridgeState.Running)
        {
            return null;
        }

        if (existing.Target != target)
        {
            throw HeadlessVmErrors.BridgeExists(existing.Name, existing.Target);
        }

        var differences = ConsoleSettings.Differences(request, settings, existing);
        if (differences.Count > 0)
        {
            if (!request.Force)
            {
                throw HeadlessVmErrors.BridgeSettingsDiffer(existing.Name, differences);
            }

            _host.Verbose($"Replacing the bridge of '{existing.Name}' ({string.Join("; ", differences)}).");
            return null;
        }

        _host.Verbose($"A bridge for '{existing.Name}' already runs on {WebsockifyArguments.HostPort(existing.ListenAddress, existing.WebPort)}; returning it.");
        return current;
    }

    /// <summary>
    /// Every bridge in the store, VM bridges and -Target bridges, by name, with live state; a bridge whose
    /// record or token is damaged goes to <paramref name="failed"/> (BridgeRecordDamaged), or is left out without one.
    /// With <paramref name="refreshTunnels"/> each tunnelled bridge's forward is made good first (what a killed process
    /// left is swept either way); a bridge whose tunnel cannot be made is listed Stopped, with a warning saying why.
    /// </summary>
    public IReadOnlyList<VncBridge> List(Action<string, Exception>? failed = null, bool refreshTunnels = true, CancellationToken cancellationToken = default)
    {
        _tunnels.Sweep(cancellationToken);
        var bridges = new List<VncBridge>();
        foreach (var name in Names())
        {
            try
            {
                if (Find(name, refreshTunnels, cancellationToken) is { } bridge)
                {
                    bridges.Add(bridge);
                }
            }
            catch (HeadlessVmException ex) when (ex.ErrorId == ErrorIds.BridgeRecordDamaged)
            {
                failed?.Invoke(name, ex);
            }
        }

        return bridges;
    }

    /// <summary>Cleans what killed processes left of the ssh tunnels: forwards whose bridge is gone, masters with no forward (<see cref="SshTunnels.Sweep"/>).</summary>
    public void SweepTunnels(CancellationToken cancellationToken = default) => _tunnels.Sweep(cancellationToken);

    /// <summary>The names of the bridges on record (a damaged one too), ordered, without asking any server.</summary>
    public IReadOnlyList<string> Names() => _records.Names();

    /// <summary>
    /// The bridge of that name (a VM's or a -Target bridge's) with its live state, or null when there is
    /// none; BridgeRecordDamaged when its record or token cannot be read back. A tunnelled bridge's forward is made
    /// good first unless <paramref name="refreshTunnel"/> is false.
    /// </summary>
    public VncBridge? Find(string name, bool refreshTunnel = true, CancellationToken cancellationToken = default) =>
        _records.Find(name) is { } b ? Inspect(b.Record, b.Files, refreshTunnel, cancellationToken) : null;

    /// <summary>
    /// The console URL of VM <paramref name="vmName"/> on <paramref name="host"/> while its bridge runs; BridgeNotRunning
    /// otherwise. A tunnelled console's forward is made good first, and a failure to is the error (HostUnreachable,
    /// ConsoleTunnelFailed, ...). Without a bridge: VmNotFound, NoVncDisplay or ConsoleNeedsTunnel say why.
    /// </summary>
    public Uri GetUrl(HostTarget host, string vmName, CancellationToken cancellationToken = default)
    {
        if (host.IsLocalStore)
        {
            return GetUrl(vmName, cancellationToken);
        }

        _tunnels.Sweep(cancellationToken);
        var name = BridgeNames.Of(host, vmName);
        var backend = _backendFor(host, cancellationToken);
        if (_records.Find(name) is { } found)
        {
            var endpoint = backend.FindConsoleEndpoint(vmName);
            if (endpoint?.Tunnel is { } remote)
            {
                using (_tunnels.Open(remote, cancellationToken))
                {
                }
            }

            if (_records.Inspect(found.Record, found.Files, endpoint is not null, () => endpoint?.Password).Url is { } url)
            {
                return url;
            }
        }

        // Says why there is none: ConsoleNeedsTunnel or NoVncDisplay when the VM runs, VmNotFound when there is no VM.
        if (!backend.Exists(vmName))
        {
            throw HeadlessVmErrors.VmNotFound(vmName, host.ComputerName);
        }

        backend.FindConsoleEndpoint(vmName);
        throw HeadlessVmErrors.BridgeNotRunning(name);
    }

    /// <summary>
    /// The console URL of a running bridge; BridgeNotRunning otherwise, BridgeNotFound when there is no VM or bridge of that
    /// name. A libvirt VM's HOST~VM bridge is asked on its host, as <see cref="GetUrl(HostTarget, string, CancellationToken)"/> does.
    /// </summary>
    public Uri GetUrl(string name, CancellationToken cancellationToken = default)
    {
        if (BridgeNames.IsHostBridge(name) && _records.Find(name) is { Record: { VmName: { } vmName, ConnectionUri: not null } record })
        {
            return GetUrl(record.Host, vmName, cancellationToken);
        }

        var bridge = Find(name);
        if (bridge is null && (BridgeNames.IsHostBridge(name) || !_vms.Exists(name)))
        {
            throw HeadlessVmErrors.BridgeNotFound(name);
        }

        return bridge?.Url ?? throw HeadlessVmErrors.BridgeNotRunning(name);
    }

    /// <inheritdoc cref="BridgeRecords.Stop"/>
    public VncBridge? Stop(string name, CancellationToken cancellationToken = default) => _records.Stop(name, cancellationToken);

    private VncBridge Inspect(VncBridgeRecord record, StatePaths.BridgeFiles files, bool refreshTunnel, CancellationToken cancellationToken = default)
    {
        var endpoint = record.VmName is null ? null : EndpointOf(record, refreshTunnel, cancellationToken);
        return _records.Inspect(record, files, vmRunning: endpoint is not null, () => endpoint?.Password);
    }

    /// <summary>
    /// The VM's endpoint for a bridge's listing, its tunnel made good first when <paramref name="refreshTunnel"/>: a host that
    /// cannot be reached, or any failure, reads as "not running" (a tunnel that cannot be made is also a warning).
    /// </summary>
    private ConsoleEndpoint? EndpointOf(VncBridgeRecord record, bool refreshTunnel, CancellationToken cancellationToken)
    {
        if (record.ConnectionUri is null)
        {
            return _vms.FindConsoleEndpoint(record.VmName!);
        }

        ConsoleEndpoint? endpoint;
        try
        {
            endpoint = _backendFor(record.Host, cancellationToken).FindConsoleEndpoint(record.VmName!);
        }
        catch (HeadlessVmException e)
        {
            _host.Debug($"Bridge '{record.Name}': {e.Message}");
            return null;
        }

        if (refreshTunnel && endpoint?.Tunnel is { } remote)
        {
            try
            {
                using (_tunnels.Open(remote, cancellationToken))
                {
                }
            }
            catch (HeadlessVmException e)
            {
                _host.Warning($"The console of bridge '{record.Name}' cannot be reached: {e.Message}");
                return null;
            }
        }

        return endpoint;
    }
}
