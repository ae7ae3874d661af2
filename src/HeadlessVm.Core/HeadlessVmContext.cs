using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Folder;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core;

/// <summary>
/// The one place the core's services are built and wired, from a state store and a reporter. Every
/// consumer (the cmdlets, the benchmark, the tests) builds one and gets the same behaviour: stopping
/// or removing a VM stops its console bridge, whoever calls. Cheap to build; build one per command.
/// </summary>
public sealed class HeadlessVmContext
{
    /// <param name="paths">The state store.</param>
    /// <param name="host">Where warnings, verbose and debug text and progress go; nowhere when null.</param>
    /// <param name="kvmProbe">True when /dev/kvm is usable; <see cref="QemuLauncher.ProbeKvm"/> when null.</param>
    /// <param name="firstWebPort">Where the search for a free console port starts; <see cref="ConsoleServers.DefaultWebPort"/> when null.</param>
    public HeadlessVmContext(StatePaths paths, IVmHost? host = null, Func<bool>? kvmProbe = null, int? firstWebPort = null)
    {
        Paths = paths;
        Host = host ?? NullVmHost.Instance;
        var store = new VmStore(paths);
        ConsoleServers = new ConsoleServers(paths, Host, firstWebPort ?? ConsoleServers.DefaultWebPort);
        var bridgeRecords = new BridgeRecords(paths, ConsoleServers, Host);
        var monitor = new VmMonitor(store, Host);
        var inspector = new VmInspector(paths, bridgeRecords, Host);
        var displays = new DisplayAllocator(paths);
        KvmFailures = new KvmFailures(paths);
        var launcher = new QemuLauncher(store, displays, KvmFailures, monitor, kvmProbe ?? QemuLauncher.ProbeKvm, Host);
        var power = new PowerControl(store, monitor, inspector, bridgeRecords, Host);
        Vms = new FolderBackend(store, displays, launcher, inspector, power, new GuestConsole(store, inspector, monitor, Host), new Screenshots(monitor), Host);
        Bridges = new Bridges(Vms, bridgeRecords, ConsoleServers, Host);
        Disks = new DiskImages(Host);
    }

    public StatePaths Paths { get; }

    public IVmHost Host { get; }

    /// <summary>The VMs: the folder store's, today.</summary>
    public IVmBackend Vms { get; }

    /// <summary>Browser console bridges to the VMs (and to any VNC server).</summary>
    public Bridges Bridges { get; }

    /// <summary>The console servers (websockify) the bridges run on.</summary>
    public ConsoleServers ConsoleServers { get; }

    /// <summary>Disk image files (qemu-img).</summary>
    public DiskImages Disks { get; }

    /// <summary>KVM failures remembered for this boot, so that Auto goes straight to TCG where KVM is known broken.</summary>
    public KvmFailures KvmFailures { get; }
}
