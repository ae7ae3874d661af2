using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.State;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core.Console;

/// <summary>
/// The bridges on record and their live state. A VM's bridge is recorded in the VM's own folder (so
/// removing the VM removes it), a -Target bridge under bridges/; its token is a file of its console
/// server. This is also what follows a VM: stopping or removing the VM stops its bridge
/// (<see cref="StopForVm"/>), and listing the VM shows its console URL (<see cref="ConsoleUrlOfVm"/>).
/// </summary>
public sealed class BridgeRecords
{
    private readonly StatePaths _paths;
    private readonly ConsoleServers _servers;
    private readonly SshTunnels _tunnels;
    private readonly IVmHost _host;

    /// <param name="tunnels">The ssh tunnels: a stopped bridge's forward is released with it.</param>
    public BridgeRecords(StatePaths paths, ConsoleServers servers, SshTunnels tunnels, IVmHost host)
    {
        _paths = paths;
        _servers = servers;
        _tunnels = tunnels;
        _host = host;
    }

    /// <summary>Holds the bridge lock until disposed: bridges and console servers change under it.</summary>
    public IDisposable Lock(CancellationToken cancellationToken = default) => FileLock.Acquire(_paths.BridgeLockFile, cancellationToken);

    /// <summary>
    /// Where the bridge named <paramref name="name"/> is recorded: its VM's folder when a store VM of that name exists,
    /// else under bridges/ (a -Target bridge, or a libvirt VM's HOST~VM bridge).
    /// </summary>
    public StatePaths.BridgeFiles FilesOf(string name)
    {
        BridgeNames.Validate(name);
        if (BridgeNames.IsHostBridge(name))
        {
            return _paths.ForTargetBridge(name);
        }

        var vm = _paths.ForVm(name);
        return File.Exists(vm.SpecFile) ? vm.Bridge : _paths.ForTargetBridge(name);
    }

    /// <summary>The bridge of that name on record, or null; BridgeRecordDamaged when its record is damaged.</summary>
    public (VncBridgeRecord Record, StatePaths.BridgeFiles Files)? Find(string name)
    {
        if (!BridgeNames.IsValid(name))
        {
            return null;
        }

        var files = FilesOf(name);
        var read = VncBridgeRecord.Read(files, name);
        return read.Damaged
            ? throw HeadlessVmErrors.BridgeRecordDamaged(name, files.RecordFile, read.Damage!)
            : read.Value is { } record ? (record, files) : null;
    }

    /// <summary>The names of every bridge on record, VMs' and -Target bridges, ordered; a damaged record is named too, no record is read.</summary>
    public IReadOnlyList<string> Names()
    {
        var vmBridges = _paths.VmFolderNames().Where(n => VmStore.IsValidName(n) && File.Exists(_paths.ForVm(n).Bridge.RecordFile));
        var targetBridges = _paths.TargetBridgeFolderNames().Where(BridgeNames.IsValid);
        return vmBridges.Concat(targetBridges).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The bridge as it is now: Running while its server runs, its token is there, and (for a VM's bridge)
    /// <paramref name="vmRunning"/>; a VM that powered itself off or was killed leaves no console to open.
    /// <paramref name="vncPassword"/> is asked only when the URL is built, for a VM's bridge.
    /// </summary>
    public VncBridge Inspect(VncBridgeRecord record, StatePaths.BridgeFiles files, bool vmRunning, Func<string?> vncPassword)
    {
        var server = _servers.FilesOf(record.ListenAddress, record.WebPort);
        var pid = _servers.FindProcess(server);
        var tokenFile = server.TokenFile(record.Name);
        var read = TokenLine.Read(tokenFile);
        if (read.Damaged)
        {
            throw HeadlessVmErrors.BridgeRecordDamaged(record.Name, tokenFile, read.Damage!);
        }

        Uri? url = null;
        if (pid is not null && (record.VmName is null || vmRunning) && read.Value is { } token)
        {
            url = ConsoleUrl.Build(record.ListenAddress, record.WebPort, record.CertificatePath is not null, token.Token,
                record.VmName is null ? null : vncPassword());
        }

        return url is null
            ? new VncBridge(record, BridgeState.Stopped, null, null, files.Folder)
            : new VncBridge(record, BridgeState.Running, pid, url, files.Folder);
    }

    /// <summary>
    /// The console URL of a VM's bridge while it serves, for the VM's own listing; null without one, and
    /// null when the bridge's record or token is damaged (Get-VncBridge reports that, for the bridge).
    /// </summary>
    public Uri? ConsoleUrlOfVm(string vmName, bool vmRunning, Func<string?> vncPassword) =>
        ConsoleUrlOf(_paths.ForVm(vmName).Bridge, vmName, vmRunning, vncPassword);

    /// <summary>The console URL of a libvirt VM's HOST~VM bridge while it serves, for the VM's own listing; null without one (or a damaged one).</summary>
    public Uri? ConsoleUrlOfBridge(string bridgeName, bool vmRunning, Func<string?> vncPassword) =>
        ConsoleUrlOf(_paths.ForTargetBridge(bridgeName), bridgeName, vmRunning, vncPassword);

    private Uri? ConsoleUrlOf(StatePaths.BridgeFiles files, string name, bool vmRunning, Func<string?> vncPassword)
    {
        if (!File.Exists(files.RecordFile) || VncBridgeRecord.Read(files, name).Value is not { } record)
        {
            return null;
        }

        try
        {
            return Inspect(record, files, vmRunning, vncPassword).Url;
        }
        catch (HeadlessVmException ex) when (ex.ErrorId == ErrorIds.BridgeRecordDamaged)
        {
            _host.Debug(ex.Message);
            return null;
        }
    }

    /// <summary>True when a bridge of that name is on record (a file check; nothing is asked).</summary>
    public bool Exists(string name) => BridgeNames.IsValid(name) && File.Exists(FilesOf(name).RecordFile);

    /// <summary>Stops the bridge of that name if there is one (a libvirt VM that stops or goes).</summary>
    public void StopIfAny(string name)
    {
        if (Exists(name))
        {
            _host.Verbose($"Stopping the console bridge '{name}'.");
            Stop(name);
        }
    }

    /// <summary>
    /// Revokes the bridge's token, ends the connections it serves and forgets it; its console server
    /// stops when this was its last bridge, and its ssh tunnel's forward goes (with the host's master when
    /// it was that host's last). BridgeNotFound when there is no such bridge. A bridge whose record is damaged
    /// is removed all the same (its token, under its name, on whichever server has it, and its forward), and
    /// null is returned, as there is no record to describe it.
    /// </summary>
    public VncBridge? Stop(string name, CancellationToken cancellationToken = default)
    {
        VncBridge? stopped;
        using (Lock(cancellationToken))
        {
            var files = FilesOf(name);
            var read = VncBridgeRecord.Read(files, name);
            if (read.Damaged)
            {
                ForgetDamaged(name, files);
                stopped = null;
            }
            else
            {
                var record = read.Value ?? throw HeadlessVmErrors.BridgeNotFound(name);
                Detach(record, files);
                stopped = new VncBridge(record, BridgeState.Stopped, null, null, files.Folder);
            }
        }

        // Outside the bridge lock: a host's tunnel lock is always taken before it, never under it.
        _tunnels.Release(name, cancellationToken);
        return stopped;
    }

    /// <summary>Forgets a bridge whose record cannot be read: its record, its token on every server, its folder; idle servers stop. Under the lock.</summary>
    public void ForgetDamaged(string name, StatePaths.BridgeFiles files)
    {
        _host.Verbose($"Removing console bridge '{name}', whose record is damaged.");
        PrivateFiles.TryDelete(files.RecordFile);
        if (files.Folder != _paths.ForVm(name).Folder)
        {
            TryDeleteFolder(files.Folder);
        }

        foreach (var server in _paths.ConsoleServerFolders())
        {
            if (File.Exists(server.TokenFile(name)))
            {
                PrivateFiles.TryDelete(server.TokenFile(name));
                _servers.StopIfIdle(server);
            }
        }
    }

    /// <summary>Stops the bridge of a VM that stops or goes, if it has one.</summary>
    public void StopForVm(string vmName)
    {
        if (File.Exists(_paths.ForVm(vmName).Bridge.RecordFile))
        {
            _host.Verbose($"Stopping the console bridge of VM '{vmName}'.");
            Stop(vmName);
        }
    }

    /// <summary>Revokes a bridge's token first, then forgets it, then ends its live connections; an idle server stops. Under the lock.</summary>
    public void Detach(VncBridgeRecord record, StatePaths.BridgeFiles files)
    {
        var server = _servers.FilesOf(record.ListenAddress, record.WebPort);
        PrivateFiles.TryDelete(server.TokenFile(record.Name));
        PrivateFiles.TryDelete(files.RecordFile);
        if (record.VmName is null || BridgeNames.IsHostBridge(record.Name))
        {
            TryDeleteFolder(files.Folder);
        }

        if (!_servers.HasTokens(server))
        {
            _servers.Stop(server);
        }
        else if (_servers.FindProcess(server) is { } pid)
        {
            _servers.EndConnections(pid, record.Name, record.Target);
        }
    }

    private static void TryDeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
