using HeadlessVm.Core.Hosts;

namespace HeadlessVm.Core.Tunnels;

/// <summary>
/// A VM's VNC server on another host, as a bridge needs it forwarded: to <see cref="Address"/>:<see cref="Port"/> as that
/// host sees it, through <see cref="Via"/>, onto the socket of bridge <see cref="BridgeName"/> (HOST~VM). Built by
/// <see cref="SshTunnels.Reach"/>, made real by <see cref="SshTunnels.Open"/>.
/// </summary>
public sealed record TunnelTarget(HostTarget Host, string VmName, string BridgeName, string Address, int Port, SshDestination Via);
