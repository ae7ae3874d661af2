using HeadlessVm.Core.Errors;
using System.Text;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// LibvirtConnection against a real libvirtd with the QEMU driver on this machine: the test guest boots under TCG.
/// Needs a running virtlogd and libvirtd. HEADLESSVM_TEST_LIBVIRT_URI names the daemon (default qemu:///system);
/// HEADLESSVM_TEST_LIBVIRT_IMAGES a folder the libvirt-qemu user can read (default /var/lib/libvirt/images),
/// where each test copies the guest's kernel and initrd and deletes them after. These tests fail, never skip,
/// when the daemon is not there: leave them out with <c>--filter "Needs!=libvirtd"</c> on machines without one.
/// <c>libvirtd-private.sh start DIR</c> (beside this file) runs both daemons in a private mount namespace and prints
/// the URI to use; <c>libvirtd-private.sh stop DIR</c> stops them by PID.
/// </summary>
[Trait("Needs", "libvirtd")]
[Collection(VncPortsCollection.Name)] // libvirt's autoport takes VNC ports from 5900 up, as the store's display allocator does.
public sealed class LibvirtDaemonTests : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    private readonly LibvirtConnection _connection;
    private readonly string _images;
    private readonly List<string> _defined = new();
    private readonly StringBuilder _console = new();

    public LibvirtDaemonTests()
    {
        var uri = Environment.GetEnvironmentVariable("HEADLESSVM_TEST_LIBVIRT_URI") is { Length: > 0 } u ? u : "qemu:///system";
        try
        {
            _connection = LibvirtConnection.Open(uri);
        }
        catch (LibvirtException e)
        {
            throw new InvalidOperationException(
                $"libvirtd is not reachable at {uri} ({e.ErrorId}: {e.Message}). Start virtlogd and libvirtd (virtlogd -d -p PIDFILE; " +
                "libvirtd -d -p PIDFILE) and set HEADLESSVM_TEST_LIBVIRT_URI, or leave these tests out with --filter \"Needs!=libvirtd\".", e);
        }

        var root = Environment.GetEnvironmentVariable("HEADLESSVM_TEST_LIBVIRT_IMAGES") is { Length: > 0 } i ? i : "/var/lib/libvirt/images";
        _images = Path.Combine(root, "hvm-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_images);
    }

    public void Dispose()
    {
        try
        {
            foreach (var name in _defined.Where(n => _connection.Find(n) is not null))
            {
                if (_connection.GetState(name).State != LibvirtDomainState.Shutoff)
                {
                    _connection.Destroy(name);
                }

                _connection.Undefine(name);
            }
        }
        finally
        {
            _connection.Dispose();
            Directory.Delete(_images, recursive: true);
        }
    }

    [Fact]
    public async Task The_test_guest_boots_under_TCG_with_its_console_screen_keys_forwards_and_ACPI_button_working()
    {
        var spec = GuestSpec(forwardPort: FreePort());
        using var events = _connection.SubscribeLifecycle();
        Define(spec);

        // Paused start, console, resume: the console sees the guest's first line.
        _connection.Start(spec.Name, paused: true);
        Assert.Equal(LibvirtDomainState.Paused, _connection.GetState(spec.Name).State);
        using var console = _connection.OpenConsole(spec.Name);
        Assert.Equal(ErrorIds.ConsoleBusy, Assert.Throws<LibvirtException>(() => _connection.OpenConsole(spec.Name)).ErrorId);

        // The password reached qemu over QMP, never through its command line.
        var argv = QemuArgv(spec.Name);
        Assert.Contains("password=on", argv, StringComparison.Ordinal);
        Assert.DoesNotContain(spec.VncPassword, argv, StringComparison.Ordinal);

        _connection.Resume(spec.Name);
        await ReadUntil(console, TestGuest.Ready, Boot);
        Assert.Contains("] Linux version ", _console.ToString(), StringComparison.Ordinal);
        Assert.NotNull(await events.WaitForAsync(e => e.DomainName == spec.Name && e.Type == DomainLifecycleEventType.Resumed, Step));
        Assert.Contains(TestGuest.Ready, File.ReadAllText(spec.SerialLogPath!), StringComparison.Ordinal);

        // Forwards come from the metadata and go in through the monitor.
        var forward = Assert.Single(DomainXml.Parse(_connection.GetXml(spec.Name)).Metadata!.PortForwards);
        Assert.Equal(string.Empty, _connection.QemuMonitorCommand(spec.Name, HostForwardCommands.Add(forward), humanMonitor: true));
        using (var http = new HttpClient { Timeout = Step })
        {
            Assert.Contains(TestGuest.Http, await http.GetStringAsync($"http://127.0.0.1:{forward.HostPort}/"), StringComparison.Ordinal);
        }

        var shot = _connection.Screenshot(spec.Name);
        Assert.True(
            (shot.MimeType == "image/png" && shot.Data.AsSpan(0, 4).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' })) ||
            (shot.MimeType == "image/x-portable-pixmap" && shot.Data.AsSpan(0, 2).SequenceEqual("P6"u8)),
            $"unexpected screenshot {shot.MimeType}, {shot.Data.Length} bytes");

        // KEY_H, KEY_I, KEY_ENTER: the guest echoes each line typed on its VGA console to the serial port.
        foreach (var key in new uint[] { 35, 23, 28 })
        {
            _connection.SendKeys(spec.Name, new[] { key });
        }

        await ReadUntil(console, TestGuest.KeyPrefix + "hi", Step);

        var live = DomainXml.Parse(_connection.GetXml(spec.Name, secure: true), dumpedSecure: true);
        Assert.Equal("127.0.0.1", live.Vnc!.ListenAddress);
        Assert.True(live.Vnc.Port >= 5900);
        Assert.True(live.Vnc.HasPassword);
        _connection.UpdateDevice(spec.Name, $"<graphics type='vnc' port='{live.Vnc.Port}' autoport='yes' passwd='Rotated1'><listen type='address' address='127.0.0.1'/></graphics>", live: true, config: false);
        Assert.Contains("passwd='Rotated1'", _connection.GetXml(spec.Name, secure: true), StringComparison.Ordinal);

        var listed = Assert.Single(_connection.ListDomains(), d => d.Name == spec.Name);
        Assert.Equal(LibvirtDomainState.Running, listed.Status.State);
        Assert.Equal(256UL * 1024, listed.MaxMemoryKiB);
        Assert.Equal(1U, listed.VirtualCpus);
        Assert.True(listed.CpuTimeNanoseconds > 0);
        Assert.Equal(ErrorIds.DomainStateInvalid, Assert.Throws<LibvirtException>(() => _connection.Start(spec.Name)).ErrorId);

        // The ACPI button: the guest announces it, powers off, the console ends and libvirt reports a clean shutdown.
        _connection.Shutdown(spec.Name);
        await ReadUntil(console, TestGuest.PowerOff, Step);
        var stopped = await events.WaitForAsync(e => e.DomainName == spec.Name && e.Type == DomainLifecycleEventType.Stopped, Step);
        Assert.Equal(0, stopped?.Detail);
        Assert.Equal(LibvirtDomainState.Shutoff, _connection.GetState(spec.Name).State);
        Assert.True(await ReadToEnd(console, Step), "The console stream did not end after the guest powered off.");
    }

    [Fact]
    public void A_domain_defined_without_HeadlessVm_metadata_is_External()
    {
        var name = "hvm-ext-" + Guid.NewGuid().ToString("N")[..8];
        Define(name, $"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os>" +
            "<devices><graphics type='vnc' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics></devices></domain>");
        var listed = Assert.Single(_connection.ListDomains(), d => d.Name == name);
        Assert.Equal(LibvirtDomainState.Shutoff, listed.Status.State);
        Assert.Null(listed.Id);
        var parsed = DomainXml.Parse(_connection.GetXml(name, secure: true), dumpedSecure: true);
        Assert.Equal(ManagedBy.External, parsed.ManagedBy);
        Assert.False(parsed.Vnc!.HasPassword);
        Assert.Null(parsed.Vnc.Port);
    }

    [Fact]
    public void The_QEMU_driver_reports_its_versions_and_offers_TCG()
    {
        var host = _connection.GetHostInfo();
        Assert.Equal("QEMU", host.HypervisorType);
        Assert.True(host.HypervisorVersion.Major >= 7);
        Assert.Equal(host.ClientLibraryVersion, host.DaemonLibraryVersion);
        Assert.True(_connection.SupportsVirtualizationType("qemu"));
        if (!_connection.SupportsVirtualizationType("kvm"))
        {
            var error = Assert.Throws<LibvirtException>(() => _connection.GetDomainCapabilities(virtualizationType: "kvm"));
            Assert.Contains("kvm", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_kernel_the_qemu_user_cannot_read_fails_to_start_as_DomainFileAccessDenied()
    {
        var hidden = Directory.CreateTempSubdirectory("hvm-private-");
        try
        {
            // 0700 root: libvirt relabels the file itself, but qemu (libvirt-qemu) cannot reach it through the folder.
            File.Copy(TestGuest.Kernel, Path.Combine(hidden.FullName, "vmlinuz"));
            var spec = GuestSpec(forwardPort: null) with { KernelPath = Path.Combine(hidden.FullName, "vmlinuz"), InitrdPath = null };
            Define(spec);
            var error = Assert.Throws<LibvirtException>(() => _connection.Start(spec.Name));
            Assert.Equal(ErrorIds.DomainFileAccessDenied, error.ErrorId);
            Assert.Equal(FailureKind.PermissionDenied, error.Kind);
            Assert.Contains(hidden.FullName, error.Message, StringComparison.Ordinal);
            Assert.Equal(LibvirtDomainState.Shutoff, _connection.GetState(spec.Name).State);
        }
        finally
        {
            hidden.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_disk_that_is_not_on_the_host_fails_to_start_as_DomainFileNotFound()
    {
        var missing = Path.Combine(_images, "absent.qcow2");
        var spec = GuestSpec(forwardPort: null) with { Disks = new[] { new DiskSpec(missing, "qcow2") } };
        Define(spec);
        var error = Assert.Throws<LibvirtException>(() => _connection.Start(spec.Name));
        Assert.Equal(ErrorIds.DomainFileNotFound, error.ErrorId);
        Assert.Equal(spec.Name, error.Target);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    private LibvirtDomainSpec GuestSpec(int? forwardPort)
    {
        var kernel = Path.Combine(_images, "vmlinuz");
        var initrd = Path.Combine(_images, "initrd.img");
        if (!File.Exists(kernel))
        {
            File.Copy(TestGuest.Kernel, kernel);
            File.Copy(TestGuest.Initrd, initrd);
        }

        var name = "hvm-test-" + Guid.NewGuid().ToString("N")[..8];
        return new LibvirtDomainSpec
        {
            Name = name,
            Uuid = Guid.NewGuid(),
            MemoryMiB = 256,
            Accelerator = AcceleratorKind.Tcg,
            KernelPath = kernel,
            InitrdPath = initrd,
            KernelArguments = TestGuest.KernelArguments,
            PortForwards = forwardPort is { } port ? new[] { new PortForward("127.0.0.1", port, 80) } : Array.Empty<PortForward>(),
            VncPassword = "T" + Guid.NewGuid().ToString("N")[..7],
            SerialLogPath = Path.Combine(_images, name + "-serial.log"),
        };
    }

    private void Define(LibvirtDomainSpec spec) => Define(spec.Name, DomainXml.Build(spec));

    private void Define(string name, string xml)
    {
        _connection.DefineNew(xml);
        _defined.Add(name);
    }

    private async Task ReadUntil(LibvirtConsole console, string text, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!_console.ToString().Contains(text, StringComparison.Ordinal))
        {
            byte[]? chunk;
            try
            {
                chunk = await console.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"'{text}' did not appear on the console within {timeout.TotalSeconds} s. Console so far:\n{_console}");
            }

            if (chunk is null)
            {
                throw new Xunit.Sdk.XunitException($"The console ended before '{text}'. Console so far:\n{_console}");
            }

            _console.Append(Encoding.UTF8.GetString(chunk));
        }
    }

    private static async Task<bool> ReadToEnd(LibvirtConsole console, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (await console.ReadAsync(deadline.Token) is not null)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>qemu's argv as ps shows it: found by the "-name guest=NAME," libvirt gives it.</summary>
    private static string QemuArgv(string name)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (argv.Contains($"guest={name},", StringComparison.Ordinal))
                {
                    return argv;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        throw new Xunit.Sdk.XunitException($"No qemu process for {name} on this machine (is the daemon local?).");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
