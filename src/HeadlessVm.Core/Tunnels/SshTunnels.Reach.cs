using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tunnels;

/// <summary>The route to a host's consoles and the endpoint it gives a VM's VNC server (nothing is opened here).</summary>
public sealed partial class SshTunnels
{
    /// <inheritdoc/>
    public ConsoleRoute RouteOf(HostTarget host) =>
        ConsoleRoute.For(host, host.ConnectionUri is { } uri ? _registry.ConsoleViaOf(host.ComputerName, uri) : null);

    /// <inheritdoc/>
    public ConsoleEndpoint Reach(HostTarget host, string vmName, string? listenAddress, int port, string? password)
    {
        var route = RouteOf(host);
        switch (route.Kind)
        {
            case ConsoleRouteKind.ThisMachine:
                return ConsoleEndpoint.Tcp(Ports.Connectable(listenAddress), port, password);
            case ConsoleRouteKind.Ssh when route.Ssh is { } ssh:
                var bridge = BridgeNames.Of(host, vmName);
                var socket = _paths.ForForward(bridge).Socket;
                var bytes = System.Text.Encoding.UTF8.GetByteCount(socket);
                if (bytes > StatePaths.SocketPathLimit)
                {
                    throw HeadlessVmErrors.StatePathTooLong(vmName, socket, bytes, StatePaths.SocketPathLimit);
                }

                return ConsoleEndpoint.Forwarded(socket, password, new TunnelTarget(host, vmName, bridge, Ports.Connectable(listenAddress), port, ssh));
            case ConsoleRouteKind.Direct:
                return ConsoleEndpoint.Direct(DirectAddress(host, vmName, listenAddress, route), port, password);
            default:
                throw HeadlessVmErrors.ConsoleNeedsTunnel(vmName, host.ComputerName, host.ConnectionUri ?? string.Empty);
        }
    }

    private string DirectAddress(HostTarget host, string vmName, string? listenAddress, ConsoleRoute route)
    {
        if (listenAddress is not null && Ports.IsLoopback(listenAddress))
        {
            throw HeadlessVmErrors.ConsoleNotReachable(vmName, host.ComputerName, $"its VNC server listens on {host.ComputerName}'s loopback ({listenAddress})",
                $"Make it listen on an address this machine reaches (New-HeadlessVm -ListenAddress 0.0.0.0, or virsh edit: <listen type='address' address='0.0.0.0'/>) and restart it, or register {host.ComputerName} with -ConsoleVia ssh://USER@{host.ComputerName}.");
        }

        if (listenAddress is not null && !Ports.IsWildcard(listenAddress))
        {
            return listenAddress;
        }

        return route.DirectHost ?? throw HeadlessVmErrors.ConsoleNotReachable(vmName, host.ComputerName,
            $"its VNC server listens on every address of {host.ComputerName}, and its URI ({host.ConnectionUri}) names no host to connect to",
            "Give the VM's VNC the host's own address (virsh edit: <listen type='address' address='ADDRESS'/>), or use -ConsoleVia ssh://USER@HOST.");
    }
}
