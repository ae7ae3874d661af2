using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// The libvirt backend on libvirt's in-process test driver (test:///default: no daemon). The driver's state is shared
/// by the whole process, so each test uses names of its own and leaves the driver's own domain "test" alone.
/// </summary>
public sealed class LibvirtBackendTests : IDisposable
{
    private const string Uri = "test:///default";
    private static readonly HostTarget Location = new("lab", Uri);

    private readonly TempStore _store = new("hvm-lvb-");
    private readonly LibvirtConnectionPool _pool = new();
    private readonly RecordingHost _host = new();
    private readonly HeadlessVmContext _context;
    private readonly LibvirtConnection _connection;
    private readonly List<string> _names = new();

    public LibvirtBackendTests()
    {
        _context = new HeadlessVmContext(_store.Paths, _host, connections: _pool, recorders: new SerialRecorders());
        _connection = _pool.Get(Uri, Location.ComputerName, CancellationToken.None);
    }

    private IVmBackend Vms => _context.BackendFor(Location, CancellationToken.None);

    public void Dispose()
    {
        foreach (var name in _names.Where(n => _connection.Find(n) is not null))
        {
            if (_connection.GetState(name).State != LibvirtDomainState.Shutoff)
            {
                _connection.Destroy(name);
            }

            _connection.Undefine(name);
        }

        _pool.Dispose();
        _store.Dispose();
    }

    [Fact]
    public void A_new_VM_is_a_HeadlessVm_domain_listed_with_its_host_its_facts_and_no_local_folder()
    {
        var name = Name();
        var vm = Vms.Create(Draft(name) with { MemoryMB = 96, ProcessorCount = 2, PortForwards = new[] { new PortForward("127.0.0.1", 18080, 80) } },
            vncDisplay: null, start: false, paused: false, CancellationToken.None);

        Assert.Equal(name, vm.Name);
        Assert.Equal(VmState.Stopped, vm.State);
        Assert.Equal("lab", vm.ComputerName);
        Assert.Equal(Uri, vm.ConnectionUri);
        Assert.Equal(ManagedBy.HeadlessVm, vm.ManagedBy);
        Assert.Equal(96, vm.MemoryMB);
        Assert.Equal(2, vm.ProcessorCount);
        Assert.Equal(AcceleratorKind.Tcg, vm.Accelerator);
        Assert.Equal("max", vm.Cpu);
        Assert.Equal(new[] { "/var/lib/libvirt/images/guest.qcow2" }, vm.DiskPath);
        Assert.Equal(new[] { "127.0.0.1:18080->80" }, vm.PortForward);
        Assert.Equal(NetworkMode.User, vm.Network);
        Assert.StartsWith("52:54:00:", vm.MacAddress, StringComparison.Ordinal);
        Assert.Null(vm.VncPort);
        Assert.Null(vm.StatePath);
        Assert.NotNull(vm.Created);
        Assert.Contains(_host.Warnings, w => w.Contains("offers no KVM", StringComparison.Ordinal));

        Assert.Contains(name, Vms.Names());
        Assert.True(Vms.Exists(name));
        Assert.Equal(VmState.Stopped, Assert.Single(Vms.Inspect(new[] { name, "went-away-" + name })).State);
        var duplicate = Assert.Throws<HeadlessVmException>(() => Vms.Create(Draft(name), null, false, false, CancellationToken.None));
        Assert.Equal(ErrorIds.VmAlreadyExists, duplicate.ErrorId);
    }

    [Fact]
    public void Power_verbs_move_a_VM_through_its_states_and_stopping_without_an_ACPI_button_uses_the_drivers_own_shutdown()
    {
        var name = Name();
        Assert.Equal(VmState.Paused, Vms.Create(Draft(name), null, start: true, paused: true, CancellationToken.None).State);
        Assert.Equal(VmState.Running, Vms.Resume(name, CancellationToken.None).State);
        Assert.Equal(VmState.Paused, Vms.Suspend(name, CancellationToken.None).State);
        Assert.Equal(VmState.Paused, Vms.Suspend(name, CancellationToken.None).State);
        Assert.Equal(VmState.Paused, Vms.Restart(name, CancellationToken.None).State);
        Assert.Equal(VmState.Running, Vms.Resume(name, CancellationToken.None).State);

        var stopped = new List<VmInfo>();
        var failed = new List<(string, Exception)>();
        Vms.Stop(new[] { name, "nosuch-" + name }, TimeSpan.FromSeconds(30), force: false, stopped.Add, (n, e) => failed.Add((n, e)), CancellationToken.None);
        Assert.Equal(VmState.Stopped, Assert.Single(stopped).State);
        var (missing, error) = Assert.Single(failed);
        Assert.Equal("nosuch-" + name, missing);
        Assert.Equal(ErrorIds.VmNotFound, Assert.IsAssignableFrom<HeadlessVmException>(error).ErrorId);
        Assert.DoesNotContain(_host.Warnings, w => w.Contains("powering it off", StringComparison.Ordinal));

        Assert.Equal(ErrorIds.VmNotRunning, Assert.Throws<HeadlessVmException>(() => Vms.Suspend(name, CancellationToken.None)).ErrorId);
        Assert.Equal(VmState.Running, Vms.Start(name, paused: false, CancellationToken.None).State);
        Assert.Equal(VmState.Running, Vms.WaitForState(name, VmState.Running, DateTime.UtcNow.AddSeconds(10), CancellationToken.None).State);
        Vms.Stop(new[] { name }, TimeSpan.FromSeconds(30), force: true, stopped.Add, (n, e) => failed.Add((n, e)), CancellationToken.None);
        Assert.Equal(VmState.Stopped, stopped.Last().State);
    }

    [Fact]
    public void Removing_undefines_a_HeadlessVm_domain_but_an_External_one_needs_Force_and_a_running_one_too()
    {
        var mine = Name();
        Vms.Create(Draft(mine), null, start: true, paused: false, CancellationToken.None);
        Assert.Equal(ErrorIds.VmIsRunning, Assert.Throws<HeadlessVmException>(() => Vms.Remove(mine, force: false, CancellationToken.None)).ErrorId);
        Assert.Equal(VmState.Running, Vms.Remove(mine, force: true, CancellationToken.None)!.State);
        Assert.Null(_connection.Find(mine));

        var foreign = Name();
        _connection.DefineNew($"<domain type='test'><name>{foreign}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>");
        var external = Vms.Get(foreign);
        Assert.Equal(ManagedBy.External, external.ManagedBy);
        Assert.Null(external.Created);
        var refused = Assert.Throws<HeadlessVmException>(() => Vms.Remove(foreign, force: false, CancellationToken.None));
        Assert.Equal(ErrorIds.VmIsExternal, refused.ErrorId);
        Assert.Equal(foreign, refused.Target);
        Assert.NotNull(_connection.Find(foreign));
        Vms.Remove(foreign, force: true, CancellationToken.None);
        Assert.Null(_connection.Find(foreign));
    }

    [Fact]
    public void Keys_and_screenshots_reach_a_running_domain_and_a_stopped_one_is_VmNotRunning()
    {
        var name = Name();
        Vms.Create(Draft(name), null, start: false, paused: false, CancellationToken.None);
        var keys = new[] { KeyMap.ParseCombination("ctrl-alt-delete"), KeyMap.ParseCombination("ret") };
        Assert.Equal(ErrorIds.VmNotRunning, Assert.Throws<HeadlessVmException>(() => Vms.SendKeys(name, keys, 50, CancellationToken.None)).ErrorId);

        Vms.Start(name, paused: false, CancellationToken.None);
        Vms.SendKeys(name, keys, 50, CancellationToken.None);
        var file = Path.Combine(_store.Root, "shot.png");
        var saved = Vms.SaveScreenshot(name, file, CancellationToken.None);
        Assert.Equal(File.ReadAllBytes("/usr/share/libvirt/test-screenshot.png"), File.ReadAllBytes(saved.FullName));
        Assert.Equal(ErrorIds.ScreenshotFolderNotFound,
            Assert.Throws<HeadlessVmException>(() => Vms.SaveScreenshot(name, Path.Combine(_store.Root, "no", "shot.png"), CancellationToken.None)).ErrorId);
    }

    [Fact]
    public void A_domain_with_no_display_has_no_console_and_says_what_to_add()
    {
        var error = Assert.Throws<HeadlessVmException>(() => Vms.FindConsoleEndpoint("test"));
        Assert.Equal(ErrorIds.NoVncDisplay, error.ErrorId);
        Assert.Contains("no display", error.Message, StringComparison.Ordinal);
        Assert.Contains("<graphics type='vnc'", error.Message, StringComparison.Ordinal);
        Assert.Null(Vms.FindConsoleEndpoint("nosuch-domain"));

        var spice = Name();
        _connection.DefineNew($"<domain type='test'><name>{spice}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os>" +
            "<devices><graphics type='spice' autoport='yes'/></devices></domain>");
        _connection.Start(spice);
        var onlySpice = Assert.Throws<HeadlessVmException>(() => Vms.FindConsoleEndpoint(spice));
        Assert.Equal(ErrorIds.NoVncDisplay, onlySpice.ErrorId);
        Assert.Contains("only a SPICE display", onlySpice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Paths_on_the_target_host_must_be_absolute_and_nothing_is_defined_when_one_is_not()
    {
        var name = Name();
        var error = Assert.Throws<HeadlessVmException>(() => Vms.Create(Draft(name) with { KernelPath = "vmlinuz" }, null, false, false, CancellationToken.None));
        Assert.Equal(ErrorIds.PathNotAbsolute, error.ErrorId);
        Assert.Equal(name, error.Target);
        Assert.Contains("lab", error.Message, StringComparison.Ordinal);
        Assert.Null(_connection.Find(name));
    }

    [Fact]
    public void A_domain_whose_XML_cannot_be_read_is_one_failure_and_the_others_still_list()
    {
        // libvirt never hands out malformed XML on cue, so this reader corrupts one domain's.
        var good = Name();
        var bad = Name();
        Vms.Create(Draft(good), null, false, false, CancellationToken.None);
        Vms.Create(Draft(bad), null, false, false, CancellationToken.None);
        var vms = new LibvirtBackend(Location, _connection, new BridgeRecords(_store.Paths, _context.ConsoleServers, _context.Tunnels, _host), new SerialRecorders(), _host,
            (name, secure) => name == bad ? "<domain><name>" + bad : _connection.GetXml(name, secure));

        var failures = new List<(string Name, Exception Error)>();
        var listed = vms.Inspect(new[] { bad, good }, (n, e) => failures.Add((n, e)));
        Assert.Equal(good, Assert.Single(listed).Name);
        var (name, error) = Assert.Single(failures);
        Assert.Equal(bad, name);
        var h = Assert.IsAssignableFrom<HeadlessVmException>(error);
        Assert.Equal(ErrorIds.InvalidDomainXml, h.ErrorId);
        Assert.Equal(bad, h.Target);
    }

    [Fact]
    public void An_unknown_VM_is_VmNotFound_naming_its_host()
    {
        var error = Assert.Throws<HeadlessVmException>(() => Vms.Get("nosuch-vm"));
        Assert.Equal(ErrorIds.VmNotFound, error.ErrorId);
        Assert.Contains("lab", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stopped_VM_is_listed_with_its_bridge_name_under_its_host()
    {
        Assert.Equal("lab~web1", BridgeNames.Of(Location, "web1"));
        Assert.Equal("web1", BridgeNames.Of(HostTarget.Local, "web1"));
        Assert.Equal("__1~web1", BridgeNames.Of(new HostTarget("::1", "qemu+ssh://[::1]/system"), "web1"));
        Assert.True(BridgeNames.IsValid("lab~web1"));
        Assert.False(BridgeNames.IsValid("a~b~c"));
        Assert.False(BridgeNames.IsValid("lab~"));
    }

    private string Name()
    {
        var name = "hvm-lvb-" + Guid.NewGuid().ToString("N")[..8];
        _names.Add(name);
        return name;
    }

    private static VmSpec Draft(string name) => new()
    {
        Name = name,
        MemoryMB = 64,
        Disks = new[] { new DiskSpec("/var/lib/libvirt/images/guest.qcow2", "qcow2") },
    };
}
