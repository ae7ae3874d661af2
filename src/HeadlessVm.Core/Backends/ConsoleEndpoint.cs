using HeadlessVm.Core.Console;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core.Backends;

/// <summary>How a console bridge reaches a VNC server.</summary>
public enum ConsoleEndpointKind
{
    /// <summary>A TCP host and port (qemu's own VNC server on loopback).</summary>
    Tcp,

    /// <summary>A unix socket (for instance an ssh-forwarded VNC server of a remote host).</summary>
    UnixSocket,
}

/// <summary>
/// Where a running VM's screen is served, as reachable from this machine, and the VNC password it
/// asks for (null when it asks none). What a backend hands the console side, so that the bridges
/// never look into a backend's own records.
/// </summary>
public sealed record ConsoleEndpoint
{
    private ConsoleEndpoint(ConsoleEndpointKind kind, string address, int port, string? password, TunnelTarget? tunnel = null, bool crossesNetwork = false)
    {
        Kind = kind;
        Address = address;
        Port = port;
        Password = password;
        Tunnel = tunnel;
        CrossesNetwork = crossesNetwork;
    }

    /// <summary>A VNC server at <paramref name="host"/> (a name or an IP literal, IPv6 without brackets) and TCP <paramref name="port"/>.</summary>
    public static ConsoleEndpoint Tcp(string host, int port, string? password) => new(ConsoleEndpointKind.Tcp, host, port, password);

    /// <summary>A VNC server on the unix socket at <paramref name="path"/> (absolute).</summary>
    public static ConsoleEndpoint UnixSocket(string path, string? password) => new(ConsoleEndpointKind.UnixSocket, path, 0, password);

    /// <summary>
    /// Another host's VNC server, reached through the unix socket at <paramref name="path"/> once an ssh tunnel forwards it
    /// there (<see cref="Tunnel"/> says where to; Bridges asks SshTunnels to make or refresh it before serving the socket).
    /// </summary>
    public static ConsoleEndpoint Forwarded(string path, string? password, TunnelTarget tunnel) =>
        new(ConsoleEndpointKind.UnixSocket, path, 0, password, tunnel);

    /// <summary>Another host's VNC server at <paramref name="host"/>:<paramref name="port"/>, reached over the network as it is (-ConsoleVia Direct).</summary>
    public static ConsoleEndpoint Direct(string host, int port, string? password) => new(ConsoleEndpointKind.Tcp, host, port, password, crossesNetwork: true);

    public ConsoleEndpointKind Kind { get; }

    /// <summary>The host for <see cref="ConsoleEndpointKind.Tcp"/>, the socket path for <see cref="ConsoleEndpointKind.UnixSocket"/>.</summary>
    public string Address { get; }

    /// <summary>The TCP port; 0 for a unix socket.</summary>
    public int Port { get; }

    /// <summary>The VNC password (at most 8 characters count, RFC 6143 7.2.2), or null when there is none.</summary>
    public string? Password { get; }

    /// <summary>The forward this socket needs (a VM on another host, through ssh); null when it is reached as it is.</summary>
    public TunnelTarget? Tunnel { get; }

    /// <summary>True when the VNC connection crosses the network unencrypted (another host's VNC reached directly).</summary>
    public bool CrossesNetwork { get; }

    /// <summary>
    /// The target of a websockify token line: "host:port", or "unix_socket:PATH", which websockify 0.10's
    /// token plugins pass on as a unix socket to connect to (websockify/websocketproxy.py).
    /// </summary>
    public string TokenTarget => Kind == ConsoleEndpointKind.Tcp ? $"{Address}:{Port}" : $"unix_socket:{Address}";

    /// <summary>How people read it: host:port (an IPv6 literal in brackets) or the socket path.</summary>
    public string Display => Kind == ConsoleEndpointKind.Tcp ? WebsockifyArguments.HostPort(Address, Port) : Address;

    public override string ToString() => Display;
}
