using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// The VMs of one libvirt daemon (qemu:///system on this machine, or another host's over ssh), behind the same
/// seam as the folder store. Every call reads libvirt afresh over the connection (<see cref="LibvirtConnectionPool"/>);
/// nothing is cached but the serial recorders of boots this process started (<see cref="SerialRecorders"/>).
/// Domains HeadlessVm created carry its metadata (<see cref="DomainMetadata"/>); all others are External. Paths are
/// paths on the daemon's host and are never resolved here. libvirt's failures keep their catalogued ids
/// (<see cref="LibvirtErrors"/>); "no such domain" is VmNotFound and "not running" VmNotRunning, as for the store.
/// Split by concern: this file (listing, consoles), .Create (defining and starting), .Power, .Guest (serial, keys, screen),
/// .Settings (Set-/Rename-HeadlessVm), .Copies (Copy-HeadlessVm through the storage API) and .Checkpoints (libvirt snapshots).
/// </summary>
public sealed partial class LibvirtBackend : IVmBackend
{
    /// <summary>
    /// Where the QEMU driver of qemu:///system keeps a running domain's qemu PID (libvirt's qemu_driver.c: the state
    /// directory /run/libvirt/qemu, file NAME.pid); read only when the daemon is on this machine.
    /// </summary>
    private const string SystemPidFolder = "/run/libvirt/qemu";

    /// <summary>How many domains' XML are asked for at once when listing.</summary>
    public const int Concurrency = 8;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private readonly LibvirtConnection _connection;
    private readonly BridgeRecords _bridges;
    private readonly SerialRecorders _recorders;
    private readonly IVmHost _host;
    private readonly Func<string, bool, string> _xmlOf;
    private readonly IRemoteConsoles _remoteConsoles;

    /// <param name="remoteConsoles">How a VM's VNC on another host is reached; none (ConsoleNeedsTunnel) when null.</param>
    public LibvirtBackend(HostTarget location, LibvirtConnection connection, BridgeRecords bridges, SerialRecorders recorders, IVmHost host,
        IRemoteConsoles? remoteConsoles = null)
        : this(location, connection, bridges, recorders, host, null, remoteConsoles)
    {
    }

    /// <param name="xmlOf">Reads a domain's XML (name, secure); the connection's when null. A test hands corrupt XML through it,
    /// which no real libvirt daemon produces on cue.</param>
    internal LibvirtBackend(HostTarget location, LibvirtConnection connection, BridgeRecords bridges, SerialRecorders recorders, IVmHost host,
        Func<string, bool, string>? xmlOf, IRemoteConsoles? remoteConsoles = null)
    {
        if (location.ConnectionUri is null)
        {
            throw new ArgumentException("A libvirt backend needs a connection URI.", nameof(location));
        }

        Location = location;
        _connection = connection;
        _bridges = bridges;
        _recorders = recorders;
        _host = host;
        _xmlOf = xmlOf ?? ((name, secure) => _connection.GetXml(name, secure));
        _remoteConsoles = remoteConsoles ?? NoRemoteConsoles.Instance;
    }

    public HostTarget Location { get; }

    private string Uri => Location.ConnectionUri!;

    private string HostName => Location.ComputerName;

    /// <summary>The domains' names, active and inactive, ordered (one RPC).</summary>
    public IReadOnlyList<string> Names() => _connection.ListDomains().Select(d => d.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    public bool Exists(string name) => _connection.Find(name) is not null;

    public IReadOnlyList<VmInfo> Inspect(IReadOnlyList<string> names) => Inspect(names, (_, e) => throw e);

    /// <summary>
    /// The domains in one RPC for their states, then each one's XML, <see cref="Concurrency"/> RPCs in flight at a time on the
    /// one connection (libvirt's client multiplexes calls, so a host far away costs a few round trips, not one per domain).
    /// A domain whose XML cannot be read goes to <paramref name="failed"/>, one undefined meanwhile is left out; both are
    /// reported afterwards on the caller's thread, in the order of <paramref name="names"/>.
    /// </summary>
    public IReadOnlyList<VmInfo> Inspect(IReadOnlyList<string> names, Action<string, Exception> failed)
    {
        var listed = _connection.ListDomains().ToDictionary(d => d.Name, StringComparer.Ordinal);
        var wanted = names.Where(listed.ContainsKey).ToArray();
        var results = new (VmInfo? Vm, HeadlessVmException? Error)[wanted.Length];
        Parallel.For(0, wanted.Length, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, i =>
        {
            try
            {
                results[i] = (Build(listed[wanted[i]]), null);
            }
            catch (HeadlessVmException e)
            {
                results[i] = (null, e);
            }
        });

        var vms = new List<VmInfo>(wanted.Length);
        for (var i = 0; i < wanted.Length; i++)
        {
            switch (results[i])
            {
                case ({ } vm, _):
                    vms.Add(vm);
                    break;
                case (_, { ErrorId: ErrorIds.LibvirtDomainNotFound }):
                    _host.Debug($"Domain '{wanted[i]}' on {HostName} went away while it was listed.");
                    break;
                case (_, { } error):
                    failed(wanted[i], error);
                    break;
            }
        }

        return vms;
    }

    public VmInfo Get(string name) => Build(Info(name));

    /// <summary>
    /// The running domain's VNC server as this machine reaches it: its TCP port on the address it listens on (a wildcard
    /// address on loopback) or its unix socket, with the password from the domain's secure XML (null when it has none).
    /// Null when the domain is not running or does not exist. NoVncDisplay for a domain with SPICE only or no display.
    /// A domain on another host (its VNC listens on that host's loopback) is reached the way <see cref="IRemoteConsoles"/> says:
    /// a socket an ssh tunnel forwards (made when a bridge serves it), the host's address (-ConsoleVia Direct), or ConsoleNeedsTunnel.
    /// </summary>
    public ConsoleEndpoint? FindConsoleEndpoint(string name)
    {
        if (_connection.Find(name) is null || _connection.GetState(name).State == LibvirtDomainState.Shutoff)
        {
            return null;
        }

        var domain = Parse(name, secure: true);
        if (domain.Vnc is not { } vnc)
        {
            throw HeadlessVmErrors.NoVncDisplay(name, domain.Graphics.Count == 0
                ? "no display"
                : $"only a {string.Join(" and ", domain.Graphics.Select(g => g.Type.ToUpperInvariant()))} display");
        }

        if (_remoteConsoles.RouteOf(Location).Kind != ConsoleRouteKind.ThisMachine)
        {
            if (vnc.Port is { } remotePort)
            {
                return _remoteConsoles.Reach(Location, name, vnc.ListenAddress, remotePort, vnc.Password);
            }

            return vnc.ListenSocket is null ? null : throw HeadlessVmErrors.ConsoleNotReachable(name, HostName, "its VNC server listens on a unix socket there",
                "Give it a TCP port on the host's loopback instead (virsh edit: <graphics type='vnc' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>).");
        }

        if (vnc.ListenSocket is { } socket && vnc.Port is null)
        {
            return ConsoleEndpoint.UnixSocket(socket, vnc.Password);
        }

        return vnc.Port is { } port ? ConsoleEndpoint.Tcp(Ports.Connectable(vnc.ListenAddress), port, vnc.Password) : null;
    }

    /// <summary>The domain's listing entry; VmNotFound (naming the host) when there is none.</summary>
    private LibvirtDomainInfo Info(string name)
    {
        try
        {
            return _connection.GetInfo(name);
        }
        catch (HeadlessVmException e) when (e.ErrorId == ErrorIds.LibvirtDomainNotFound)
        {
            throw HeadlessVmErrors.VmNotFound(name, HostName);
        }
    }

    /// <summary>The domain's XML, parsed; InvalidDomainXml (target: the VM) when HeadlessVm cannot read it.</summary>
    private DomainDefinition Parse(string name, bool secure = false) => DomainXml.Parse(_xmlOf(name, secure), dumpedSecure: secure, target: name);

    private VmInfo Build(LibvirtDomainInfo info)
    {
        var domain = Parse(info.Name);
        var running = info.Status.State != LibvirtDomainState.Shutoff;
        var (pid, uptime) = running ? LocalProcess(info.Name) : (null, null);
        var bridge = BridgeNames.Of(Location, info.Name);
        var url = BridgeNames.IsValid(bridge)
            ? _bridges.ConsoleUrlOfBridge(bridge, running && domain.Vnc?.Port is not null, () => Parse(info.Name, secure: true).Vnc?.Password)
            : null;
        return DomainVms.ToVmInfo(domain, info.Status, Location, pid, uptime, url);
    }

    /// <summary>The qemu PID and uptime of a domain of qemu:///system on this machine (libvirt reports neither); nulls elsewhere.</summary>
    private (int? Pid, TimeSpan? Uptime) LocalProcess(string name)
    {
        if (Location.IsThisMachine && Uri.Split('?')[0].EndsWith("/system", StringComparison.Ordinal)
            && PrivateFilesRead(Path.Combine(SystemPidFolder, name + ".pid")) is { } text
            && int.TryParse(text.Trim(), out var pid)
            && ProcessInfo.CommandLine(pid) is { } argv
            && argv.Any(a => a.StartsWith($"guest={name},", StringComparison.Ordinal)))
        {
            return (pid, ProcessInfo.Uptime(pid));
        }

        return (null, null);
    }

    private static string? PrivateFilesRead(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Throws VmNotRunning unless the domain runs (or is paused); returns its listing entry.</summary>
    private LibvirtDomainInfo Running(string name, string? consequence = null)
    {
        var info = Info(name);
        return info.Status.State == LibvirtDomainState.Shutoff ? throw HeadlessVmErrors.VmNotRunning(name, consequence) : info;
    }
}
