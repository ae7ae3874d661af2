using System.Net.Sockets;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tunnels;

/// <summary>
/// Consoles of VMs on other hosts, through ssh (the way virt-manager and Proxmox reach them: VNC stays on the host's
/// loopback). Per host one OpenSSH ControlMaster (<see cref="SshMaster"/>), shared by every PowerShell process that uses
/// this state folder; per bridge one forward from a unix socket in ssh/ (0600) to the VM's VNC server as the host sees
/// it, recorded in a <see cref="ForwardRecord"/>. A host's master and forwards change only under its lock (ssh/HOST.lock),
/// taken before the bridge lock, never after it. The master ends with its host's last forward; a master that died is
/// made again, with its bridges' forwards, by the next command that needs it; a forward whose bridge is gone (its
/// process was killed between the two) is cancelled by the next command that sweeps (<see cref="Sweep"/>). Split by
/// concern: this file (forwards and masters), .Reach (the route to a host's consoles), .Check (Test-HeadlessVmHost's look).
/// </summary>
public sealed partial class SshTunnels : IRemoteConsoles
{
    private readonly StatePaths _paths;
    private readonly HostRegistry _registry;
    private readonly IVmHost _host;

    public SshTunnels(StatePaths paths, HostRegistry registry, IVmHost host)
    {
        _paths = paths;
        _registry = registry;
        _host = host;
    }

    /// <summary>
    /// Makes sure the forward <paramref name="target"/> needs is there: the host's master running (started, or made again
    /// with its other bridges' forwards when it died), the forward made or moved to the VM's current port. Returns the
    /// host's lock, held until disposed, so that the caller records its bridge before any other process sweeps.
    /// Login failures are HostKeyNotTrusted, HostAuthenticationFailed, HostUnknown, HostUnreachable, HostTimeout;
    /// ssh's other refusals ConsoleTunnelFailed.
    /// </summary>
    public TunnelLease Open(TunnelTarget target, CancellationToken cancellationToken)
    {
        var files = _paths.ForForward(target.BridgeName);
        var held = FileLock.Acquire(files.Host.LockFile, cancellationToken);
        var master = Master(files.Host, target.Via, target.Host.ComputerName);
        try
        {
            Sweep(files.Host, master, endIdleMaster: false, cancellationToken);
            var pid = master.Running() ?? Restart(master, files.Host, cancellationToken);
            var forward = Ensure(master, pid, target, files, cancellationToken);
            return new TunnelLease(held, () => Drop(master, forward, files, cancellationToken));
        }
        catch (HeadlessVmException)
        {
            // Nothing is left of a tunnel that could not be made for a bridge not yet recorded: its forward record and
            // socket go, and a master with no other forward ends (a master that serves other bridges stays).
            Abandon(master, files);
            held.Dispose();
            throw;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>
    /// After bridge <paramref name="bridgeName"/> went: cancels its forward and, when it was its host's last, ends the
    /// host's master. Nothing happens for a bridge that had no forward.
    /// </summary>
    public void Release(string bridgeName, CancellationToken cancellationToken = default)
    {
        var files = _paths.ForForward(bridgeName);
        if (File.Exists(files.RecordFile) || File.Exists(files.Host.PidFile))
        {
            SweepLocked(files.Host, cancellationToken);
        }
    }

    /// <summary>
    /// Cleans what killed processes left under ssh/: forwards whose bridge is gone are cancelled, and a master with no
    /// forward left is ended. A host needs its lock only when something there is to clean, so this is cheap.
    /// </summary>
    public void Sweep(CancellationToken cancellationToken = default)
    {
        foreach (var host in _paths.SshHosts())
        {
            var records = host.ForwardRecords().ToArray();
            var orphans = records.Any(r => ForwardRecord.Read(r) is not { } f || !BridgeExists(f.BridgeName));
            var idle = records.Length == 0 && (File.Exists(host.PidFile) || File.Exists(host.ControlSocket));
            if (orphans || idle || host.ForwardSockets().Any(s => !File.Exists(Path.ChangeExtension(s, ".json"))))
            {
                SweepLocked(host, cancellationToken);
            }
        }
    }

    /// <summary>The master of <paramref name="host"/> as it runs now, by its recorded PID; null when none runs.</summary>
    internal int? RunningMaster(StatePaths.SshHostFiles host) => new Daemon(host.PidFile, _ => true).Find() is { } pid
        && ProcessInfo.CommandLine(pid) is { } argv && argv.Contains(host.ControlSocket) ? pid : null;

    private SshMaster Master(StatePaths.SshHostFiles files, SshDestination via, string hostName) => new(files, via, hostName, _host);

    private void SweepLocked(StatePaths.SshHostFiles host, CancellationToken cancellationToken)
    {
        using var held = FileLock.Acquire(host.LockFile, cancellationToken);
        Sweep(host, Master(host, RunningDestination(host), host.Stem), endIdleMaster: true, cancellationToken);
    }

    /// <summary>Under the host's lock: drops forwards whose bridge is gone and sockets no record names; ends an idle master when asked.</summary>
    private void Sweep(StatePaths.SshHostFiles host, SshMaster master, bool endIdleMaster, CancellationToken cancellationToken)
    {
        var pid = RunningMaster(host);
        var left = 0;
        foreach (var file in host.ForwardRecords())
        {
            var forward = ForwardRecord.Read(file);
            if (forward is not null && BridgeExists(forward.BridgeName))
            {
                left++;
                continue;
            }

            _host.Verbose($"Console tunnel of '{forward?.BridgeName ?? Path.GetFileNameWithoutExtension(file)}': its bridge is gone; cancelling its forward.");
            if (forward is not null && pid == forward.MasterPid)
            {
                master.Cancel(forward, cancellationToken);
            }

            PrivateFiles.TryDelete(forward?.Socket ?? Path.ChangeExtension(file, ".sock"));
            PrivateFiles.TryDelete(file);
        }

        foreach (var socket in host.ForwardSockets().Where(s => !File.Exists(Path.ChangeExtension(s, ".json"))))
        {
            PrivateFiles.TryDelete(socket);
        }

        if (endIdleMaster && left == 0)
        {
            if (pid is { } running)
            {
                master.Exit(running, cancellationToken);
            }
            else
            {
                master.Clear();
            }

            PrivateFiles.TryDelete(host.LogFile);
        }
    }

    /// <summary>Starts the master and forwards again what its bridges had (ports as recorded; each is refreshed when asked for).</summary>
    private int Restart(SshMaster master, StatePaths.SshHostFiles host, CancellationToken cancellationToken)
    {
        // The sockets of a master that died answer no more; each is bound again below or when its bridge is next asked for.
        foreach (var socket in host.ForwardSockets())
        {
            PrivateFiles.TryDelete(socket);
        }

        var pid = master.Start(cancellationToken);
        foreach (var file in host.ForwardRecords())
        {
            if (ForwardRecord.Read(file) is not { } old)
            {
                continue;
            }

            var again = old with { MasterPid = pid, Created = DateTimeOffset.Now };
            try
            {
                again.Write(file);
                master.Forward(again, cancellationToken);
                _host.Verbose($"Console tunnel of '{old.BridgeName}' forwarded again through the new ssh master.");
            }
            catch (HeadlessVmException e)
            {
                _host.Debug($"Console tunnel of '{old.BridgeName}': {e.Message}");
            }
        }

        return pid;
    }

    /// <summary>The forward of <paramref name="target"/> on master <paramref name="pid"/>: kept when it is right, else (re)made.</summary>
    private ForwardRecord Ensure(SshMaster master, int pid, TunnelTarget target, StatePaths.ForwardFiles files, CancellationToken cancellationToken)
    {
        var wanted = new ForwardRecord(target.BridgeName, files.Socket, target.Address, target.Port, pid, DateTimeOffset.Now);
        var current = ForwardRecord.Read(files.RecordFile);
        if (current is not null && current.MasterPid == pid && current.SameForward(wanted) && IsSocket(files.Socket))
        {
            return current;
        }

        if (current is not null && current.MasterPid == pid)
        {
            // The VM's VNC port changed (it was restarted): ssh binds the new forward only once the old one is cancelled.
            _host.Verbose($"Console tunnel of '{target.BridgeName}': VNC moved from port {current.Port} to {target.Port}; forwarding again.");
            master.Cancel(current, cancellationToken);
        }

        wanted.Write(files.RecordFile);
        master.Forward(wanted, cancellationToken, target.VmName);
        if (!Accepts(files.Socket))
        {
            // ssh keeps a forward it was asked for twice once; one whose socket was replaced answers no more: make it anew.
            master.Cancel(wanted, cancellationToken);
            master.Forward(wanted, cancellationToken, target.VmName);
            if (!Accepts(files.Socket))
            {
                throw HeadlessVmErrors.ConsoleTunnelFailed(target.VmName, target.Host.ComputerName, $"listen on {files.Socket}",
                    "the ssh master accepted the forward but nothing listens on its socket", target.Via.Program, 0);
            }
        }

        // ssh made it with StreamLocalBindMask=0177; a socket is a file anyone who can reach the folder could open.
        File.SetUnixFileMode(files.Socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _host.Verbose($"Console tunnel of '{target.BridgeName}': {files.Socket} -> {target.Address}:{target.Port} on {target.Host.ComputerName} (ssh master PID {pid}).");
        return wanted;
    }

    /// <summary>Undoes <see cref="Ensure"/> for a bridge that could not be recorded (the caller holds the lock).</summary>
    private void Drop(SshMaster master, ForwardRecord forward, StatePaths.ForwardFiles files, CancellationToken cancellationToken)
    {
        if (BridgeExists(forward.BridgeName))
        {
            return;
        }

        master.Cancel(forward, cancellationToken);
        PrivateFiles.TryDelete(files.Socket);
        PrivateFiles.TryDelete(files.RecordFile);
        if (!files.Host.ForwardRecords().Any())
        {
            master.Exit(forward.MasterPid, cancellationToken);
        }
    }

    /// <summary>Under the host's lock, after a failed <see cref="Open"/>: what it left for a bridge that does not exist goes (best effort).</summary>
    private void Abandon(SshMaster master, StatePaths.ForwardFiles files)
    {
        try
        {
            Sweep(files.Host, master, endIdleMaster: true, CancellationToken.None);
        }
        catch (HeadlessVmException e)
        {
            _host.Debug($"Cleaning up the console tunnel: {e.Message}");
        }
    }

    private bool BridgeExists(string bridgeName) => File.Exists(_paths.ForTargetBridge(bridgeName).RecordFile);

    /// <summary>
    /// Whom the running master logged in to, from its argv (the program it runs as, a wrapper's exec'd ssh, and the host
    /// after "--"): enough to talk to it through its control socket. A placeholder when none runs (nothing is then asked).
    /// </summary>
    private SshDestination RunningDestination(StatePaths.SshHostFiles host) =>
        RunningMaster(host) is { } pid && ProcessInfo.CommandLine(pid) is { Count: > 2 } argv
            ? new SshDestination(argv[0], argv[^1], null, null, null, null)
            : new SshDestination(SshDestination.DefaultProgram, host.Stem, null, null, null, null);

    private static bool IsSocket(string path) => File.Exists(path);

    /// <summary>True when something listens on the unix socket (the master accepts at once; the VNC behind it is not asked).</summary>
    private static bool Accepts(string path)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
