using System.Net.Sockets;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tunnels;

/// <summary>Test-HeadlessVmHost's look at the ssh way to a host's consoles.</summary>
public sealed partial class SshTunnels
{
    /// <summary>
    /// Test-HeadlessVmHost's look at the way to <paramref name="host"/>'s consoles through <paramref name="via"/>: the master
    /// up (started if need be), and, when <paramref name="vnc"/> names a running VM's VNC server there, a forward to it
    /// that answers with an RFB greeting. What the check made it undoes (a master no bridge uses ends again). Returns
    /// the PID of the master and the greeting (null when there was no VNC server to ask, or it did not answer); login
    /// failures are thrown as <see cref="Open"/> throws them.
    /// </summary>
    public (int MasterPid, string? Greeting) Check(HostTarget host, SshDestination via, (string VmName, string Address, int Port)? vnc, CancellationToken cancellationToken)
    {
        // A forward of no bridge ('.' starts no VM name): a sweep would cancel it, but none runs while the lock is held.
        var bridge = BridgeNames.Of(host, ".check");
        var files = _paths.ForForward(bridge);
        using var held = FileLock.Acquire(files.Host.LockFile, cancellationToken);
        var master = Master(files.Host, via, host.ComputerName);
        Sweep(files.Host, master, endIdleMaster: false, cancellationToken);
        var pid = master.Running() ?? Restart(master, files.Host, cancellationToken);
        string? greeting = null;
        if (vnc is { } server)
        {
            var forward = Ensure(master, pid, new TunnelTarget(host, server.VmName, bridge, server.Address, server.Port, via), files, cancellationToken);
            greeting = RfbGreeting.Read(new UnixDomainSocketEndPoint(files.Socket), TimeSpan.FromSeconds(5), cancellationToken);
            master.Cancel(forward, cancellationToken);
            PrivateFiles.TryDelete(files.Socket);
            PrivateFiles.TryDelete(files.RecordFile);
        }

        if (!files.Host.ForwardRecords().Any())
        {
            master.Exit(pid, cancellationToken);
        }

        return (pid, greeting);
    }
}
