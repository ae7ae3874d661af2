using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Folder;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core;

/// <summary>
/// The one place the core's services are built and wired, from a state store and a reporter. Every
/// consumer (the cmdlets, the benchmark, the tests) builds one and gets the same behaviour: stopping
/// or removing a VM stops its console bridge, whoever calls. Cheap to build; build one per command.
/// libvirt connections and serial recorders outlive it: they belong to the process
/// (<see cref="LibvirtConnectionPool.Shared"/>, <see cref="SerialRecorders.Shared"/>), so that a second
/// command in the same pwsh reuses the first one's connection.
/// </summary>
public sealed class HeadlessVmContext
{
    private readonly Func<bool>? _kvmProbe;
    private readonly int? _firstWebPort;
    private readonly SerialRecorders _recorders;
    private readonly BridgeRecords _bridgeRecords;
    private readonly IRemoteConsoles _remoteConsoles;
    private readonly IRemoteConsoles? _givenRemoteConsoles;

    /// <param name="paths">The state store.</param>
    /// <param name="host">Where warnings, verbose and debug text and progress go; nowhere when null.</param>
    /// <param name="kvmProbe">True when /dev/kvm is usable; <see cref="QemuLauncher.ProbeKvm"/> when null.</param>
    /// <param name="firstWebPort">Where the search for a free console port starts; <see cref="ConsoleServers.DefaultWebPort"/> when null.</param>
    /// <param name="connections">The libvirt connections; the process's when null.</param>
    /// <param name="recorders">The serial recorders of libvirt boots; the process's when null.</param>
    /// <param name="remoteConsoles">How consoles of VMs on other hosts are reached; through <see cref="Tunnels"/> when null.</param>
    public HeadlessVmContext(StatePaths paths, IVmHost? host = null, Func<bool>? kvmProbe = null, int? firstWebPort = null,
        LibvirtConnectionPool? connections = null, SerialRecorders? recorders = null, IRemoteConsoles? remoteConsoles = null)
    {
        Paths = paths;
        Host = host ?? NullVmHost.Instance;
        _kvmProbe = kvmProbe;
        _firstWebPort = firstWebPort;
        Connections = connections ?? LibvirtConnectionPool.Shared;
        _recorders = recorders ?? SerialRecorders.Shared;
        var store = new VmStore(paths);
        Hosts = new HostRegistry(paths);
        Tunnels = new SshTunnels(paths, Hosts, Host);
        _givenRemoteConsoles = remoteConsoles;
        _remoteConsoles = remoteConsoles ?? Tunnels;
        ConsoleServers = new ConsoleServers(paths, Host, firstWebPort ?? ConsoleServers.DefaultWebPort);
        _bridgeRecords = new BridgeRecords(paths, ConsoleServers, Tunnels, Host);
        var monitor = new VmMonitor(store, Host);
        var inspector = new VmInspector(paths, _bridgeRecords, Host);
        var displays = new DisplayAllocator(paths);
        KvmFailures = new KvmFailures(paths);
        Disks = new DiskImages(Host);
        var diskHolders = new DiskHolders(store, Disks);
        var launcher = new QemuLauncher(store, displays, KvmFailures, monitor, kvmProbe ?? QemuLauncher.ProbeKvm, Host, diskHolders);
        var power = new PowerControl(store, monitor, inspector, _bridgeRecords, Host);
        Vms = new FolderBackend(store, displays, launcher, inspector, power, new GuestConsole(store, inspector, monitor, Host), new Screenshots(monitor),
            new Checkpoints(store, monitor, Disks, diskHolders, Host), new VmSettings(store, displays, monitor, Disks, inspector, Host),
            new VmCopies(store, displays, Disks, diskHolders, inspector, Host), Host);
        Bridges = new Bridges(Vms, (target, token) => BackendFor(target, token), _bridgeRecords, ConsoleServers, Tunnels, Host);
        Targets = new TargetResolver(Hosts);
        HostService = new HostService(Hosts, Targets, Connections, Host);
        LocalChecks = new FolderStoreChecks(store, KvmFailures, kvmProbe ?? QemuLauncher.ProbeKvm);
        HostChecks = new HostChecks(HostService, _remoteConsoles, (target, token) => BackendFor(target, token), Tunnels);
        FanOut = new HostFanOut((target, reporter, token) => reporter == Host ? BackendFor(target, token) : WithHost(reporter).BackendFor(target, token), Host);
    }

    public StatePaths Paths { get; }

    public IVmHost Host { get; }

    /// <summary>The VMs of the folder store: what every command uses when no host is named.</summary>
    public IVmBackend Vms { get; }

    /// <summary>Browser console bridges to the VMs (and to any VNC server).</summary>
    public Bridges Bridges { get; }

    /// <summary>The console servers (websockify) the bridges run on.</summary>
    public ConsoleServers ConsoleServers { get; }

    /// <summary>Disk image files (qemu-img).</summary>
    public DiskImages Disks { get; }

    /// <summary>KVM failures remembered for this boot, so that Auto goes straight to TCG where KVM is known broken.</summary>
    public KvmFailures KvmFailures { get; }

    /// <summary>The ssh tunnels to other hosts' consoles (a ControlMaster per host, a forward per bridge).</summary>
    public SshTunnels Tunnels { get; }

    /// <summary>The registered hosts (hosts.json).</summary>
    public HostRegistry Hosts { get; }

    /// <summary>-ComputerName and -ConnectionUri as places to ask.</summary>
    public TargetResolver Targets { get; }

    /// <summary>Registering, listing and closing hosts (Connect-, Get-, Disconnect-HeadlessVmHost).</summary>
    public HostService HostService { get; }

    /// <summary>Test-HeadlessVmHost's preflight.</summary>
    public HostChecks HostChecks { get; }

    /// <summary>Test-HeadlessVmHost's preflight of the folder store (local).</summary>
    public FolderStoreChecks LocalChecks { get; }

    /// <summary>Asks several hosts at once.</summary>
    public HostFanOut FanOut { get; }

    /// <summary>The process's libvirt connections.</summary>
    public LibvirtConnectionPool Connections { get; }

    /// <summary>
    /// The VMs of <paramref name="target"/>: the folder store, or a libvirt backend over the pooled connection to its URI
    /// (opened here if need be: HostTimeout, or the open's own error, with the host as target).
    /// </summary>
    public IVmBackend BackendFor(HostTarget target, CancellationToken cancellationToken)
    {
        if (target.IsLocalStore)
        {
            return Vms;
        }

        LibvirtConnection connection;
        try
        {
            connection = Connections.Get(target.ConnectionUri!, target.ComputerName, cancellationToken);
        }
        catch (HeadlessVmException e) when (e.Target == target.ConnectionUri && e is LibvirtException l)
        {
            // The host is what the user named; libvirt's message keeps the URI.
            throw Errors.HeadlessVmErrors.LibvirtFailure(l.ErrorId, l.Kind, target.ComputerName, l.Message, l.Error);
        }

        return new LibvirtBackend(target, connection, _bridgeRecords, _recorders, Host, _remoteConsoles);
    }

    /// <summary>The same wiring reporting to another <see cref="IVmHost"/> (work on another thread reports to a buffer).</summary>
    public HeadlessVmContext WithHost(IVmHost host) => new(Paths, host, _kvmProbe, _firstWebPort, Connections, _recorders, _givenRemoteConsoles);
}
