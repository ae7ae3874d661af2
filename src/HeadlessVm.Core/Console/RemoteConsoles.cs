using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;

namespace HeadlessVm.Core.Console;

/// <summary>
/// How this machine reaches the VNC server of a VM on another host, which listens on that host's own loopback:
/// the seam where ssh tunnels plug in (issue 13: an OpenSSH ControlMaster per host and a forward per VM to a unix
/// socket in the state folder, whose endpoint the bridges already serve as <c>unix_socket:</c> tokens).
/// </summary>
public interface IRemoteConsoles
{
    /// <summary>
    /// The endpoint on this machine for VM <paramref name="vmName"/>'s VNC server at <paramref name="address"/>:<paramref name="port"/>
    /// as seen on <paramref name="host"/>, with its <paramref name="password"/> (null when it has none).
    /// </summary>
    ConsoleEndpoint Reach(HostTarget host, string vmName, string address, int port, string? password);
}

/// <summary>No way to another host's loopback yet: every remote console is ConsoleNeedsTunnel.</summary>
public sealed class NoRemoteConsoles : IRemoteConsoles
{
    public static NoRemoteConsoles Instance { get; } = new();

    public ConsoleEndpoint Reach(HostTarget host, string vmName, string address, int port, string? password) =>
        throw HeadlessVmErrors.ConsoleNeedsTunnel(vmName, host.ComputerName);
}
