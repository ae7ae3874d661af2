using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core.Console;

/// <summary>
/// How this machine reaches the VNC server of a VM on another host, which listens on that host's own loopback (or
/// wherever its domain says). <see cref="SshTunnels"/> is the module's: an OpenSSH ControlMaster per host and a forward
/// per VM onto a unix socket in the state folder, which the bridges serve as <c>unix_socket:</c> tokens.
/// </summary>
public interface IRemoteConsoles
{
    /// <summary>The way to the consoles of <paramref name="host"/>'s VMs.</summary>
    ConsoleRoute RouteOf(HostTarget host);

    /// <summary>
    /// The endpoint on this machine for VM <paramref name="vmName"/>'s VNC server on <paramref name="host"/>, which listens on
    /// <paramref name="listenAddress"/> (as its domain says; null when it says none) and TCP <paramref name="port"/>, with its
    /// <paramref name="password"/> (null when it has none). Nothing is opened here: a forwarded endpoint carries its
    /// <see cref="ConsoleEndpoint.Tunnel"/>. ConsoleNeedsTunnel when the host's route is none, ConsoleNotReachable when the
    /// route cannot reach this server.
    /// </summary>
    ConsoleEndpoint Reach(HostTarget host, string vmName, string? listenAddress, int port, string? password);
}

/// <summary>The routes a host's URI implies, and no tunnels: every console needing one is ConsoleNeedsTunnel (for backends built without the module's wiring).</summary>
public sealed class NoRemoteConsoles : IRemoteConsoles
{
    public static NoRemoteConsoles Instance { get; } = new();

    public ConsoleRoute RouteOf(HostTarget host) => ConsoleRoute.For(host, null);

    public ConsoleEndpoint Reach(HostTarget host, string vmName, string? listenAddress, int port, string? password) =>
        throw HeadlessVmErrors.ConsoleNeedsTunnel(vmName, host.ComputerName, host.ConnectionUri ?? string.Empty);
}
