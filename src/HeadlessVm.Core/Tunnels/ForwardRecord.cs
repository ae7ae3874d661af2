using System.Globalization;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tunnels;

/// <summary>
/// ssh/HOST~VM.json: what a host's master was asked to forward for one bridge, written before the master is asked
/// and removed after it was told to stop, so that a forward left by a killed process is found and cancelled
/// exactly (ssh cancels a forward only when it is named as it was made; OpenSSH mux.c, "cancel forward").
/// </summary>
/// <param name="BridgeName">The bridge it serves (HOST~VM); a forward whose bridge is gone is an orphan.</param>
/// <param name="Socket">The local end (a unix socket, 0600).</param>
/// <param name="Address">The VNC server's address as the host sees it (its loopback, usually).</param>
/// <param name="Port">The VNC server's TCP port on the host.</param>
/// <param name="MasterPid">The master that holds it: a forward of a master that died is gone with it.</param>
public sealed record ForwardRecord(string BridgeName, string Socket, string Address, int Port, int MasterPid, DateTimeOffset Created)
{
    /// <summary>ssh's -L argument: LOCAL_SOCKET:HOST:PORT, an IPv6 host in brackets (ssh(1), -L).</summary>
    public string Spec => $"{Socket}:{(Address.Contains(':', StringComparison.Ordinal) ? $"[{Address}]" : Address)}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when it forwards the same socket to the same place (the master aside).</summary>
    public bool SameForward(ForwardRecord other) => Socket == other.Socket && Address == other.Address && Port == other.Port;

    /// <summary>The record in <paramref name="file"/>; null when there is none or it cannot be read (a damaged one is swept as an orphan).</summary>
    public static ForwardRecord? Read(string file) => RecordFiles.ReadJson<ForwardRecord>(file).Value;

    /// <summary>Written without fsync: it means nothing after a power loss (the master is gone too).</summary>
    public void Write(string file) => JsonRecords.Write(file, this, durable: false);
}
