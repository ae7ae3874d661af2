using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// LibvirtConnection against libvirt's in-process test driver (test:///default: no daemon, no root). Its state is
/// shared by every open connection in the process, so each test defines domains with names of its own and leaves
/// the driver's own running domain "test" as it found it.
/// </summary>
public sealed class LibvirtTestDriverTests : IDisposable
{
    private const string TestUri = "test:///default";
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(10);

    private readonly LibvirtConnection _connection = LibvirtConnection.Open(TestUri);
    private readonly List<string> _defined = new();

    public void Dispose()
    {
        foreach (var name in _defined)
        {
            if (_connection.Find(name) is null)
            {
                continue;
            }

            if (_connection.GetState(name).State != LibvirtDomainState.Shutoff)
            {
                _connection.Destroy(name);
            }

            _connection.Undefine(name);
        }

        _connection.Dispose();
    }

    [Fact]
    public void Listing_returns_the_drivers_running_domain_with_its_state_and_uuid_in_one_call()
    {
        var test = Assert.Single(_connection.ListDomains(), d => d.Name == "test");
        Assert.Equal(LibvirtDomainState.Running, test.Status.State);
        Assert.Equal(Guid.Parse("6695eb01-f6a4-8304-79aa-97f2502e193f"), test.Uuid);
        Assert.NotNull(test.Id);

        // virDomainGetInfo fills what the test driver's bulk stats leave out.
        var info = _connection.GetInfo("test");
        Assert.Equal(2097152UL, info.MemoryKiB);
        Assert.Equal(2U, info.VirtualCpus);
    }

    [Fact]
    public void Host_info_names_the_test_driver_and_this_libvirt_version()
    {
        var host = _connection.GetHostInfo();
        Assert.Equal("TEST", host.HypervisorType.ToUpperInvariant());
        Assert.Equal(new Version(9, 0, 0), host.ClientLibraryVersion);
        Assert.Equal(host.ClientLibraryVersion, host.DaemonLibraryVersion);
        Assert.Equal(TestUri, host.CanonicalUri);
        Assert.False(string.IsNullOrEmpty(host.HostName));
        Assert.True(_connection.IsAlive);
        Assert.False(_connection.KeepAlive);
    }

    [Fact]
    public void A_built_domain_is_defined_as_HeadlessVm_managed_and_parses_back_the_same()
    {
        var spec = Spec();
        var id = Define(spec);
        Assert.Equal(spec.Name, id.Name);
        Assert.Equal(spec.Uuid, id.Uuid);

        var insecure = DomainXml.Parse(_connection.GetXml(spec.Name));
        Assert.Equal(ManagedBy.HeadlessVm, insecure.ManagedBy);
        Assert.Equal(spec.PortForwards, insecure.Metadata!.PortForwards);
        Assert.Equal(256UL * 1024, insecure.MemoryKiB);
        Assert.Null(insecure.Vnc!.HasPassword);
        Assert.DoesNotContain(spec.VncPassword, _connection.GetXml(spec.Name), StringComparison.Ordinal);

        var secure = DomainXml.Parse(_connection.GetXml(spec.Name, secure: true), dumpedSecure: true);
        Assert.True(secure.Vnc!.HasPassword);
        Assert.Equal("127.0.0.1", secure.Vnc.ListenAddress);
    }

    [Fact]
    public async Task Power_verbs_change_the_state_and_each_arrives_as_a_lifecycle_event()
    {
        using var events = _connection.SubscribeLifecycle();
        var spec = Spec();
        Define(spec);
        await Expect(events, spec.Name, DomainLifecycleEventType.Defined);

        _connection.Start(spec.Name);
        await Expect(events, spec.Name, DomainLifecycleEventType.Started);
        Assert.Equal(LibvirtDomainState.Running, _connection.GetState(spec.Name).State);

        _connection.Suspend(spec.Name);
        await Expect(events, spec.Name, DomainLifecycleEventType.Suspended);
        _connection.Resume(spec.Name);
        await Expect(events, spec.Name, DomainLifecycleEventType.Resumed);

        _connection.Reset(spec.Name);
        Assert.Equal(LibvirtDomainState.Running, _connection.GetState(spec.Name).State);

        // The test driver takes no ACPI flag and powers off at once: Stopped, detail 0 (shutdown).
        Assert.Equal(ErrorIds.LibvirtInvalidArgument, Assert.Throws<LibvirtException>(() => _connection.Shutdown(spec.Name)).ErrorId);
        _connection.Shutdown(spec.Name, acpiPowerButton: false);
        var stopped = await Expect(events, spec.Name, DomainLifecycleEventType.Stopped);
        Assert.Equal(0, stopped.Detail);
        Assert.Equal(spec.Uuid, stopped.DomainUuid);
        Assert.Equal(LibvirtDomainState.Shutoff, _connection.GetState(spec.Name).State);

        _connection.Start(spec.Name);
        await Expect(events, spec.Name, DomainLifecycleEventType.Started);
        _connection.Destroy(spec.Name);
        var destroyed = await Expect(events, spec.Name, DomainLifecycleEventType.Stopped);
        Assert.Equal(1, destroyed.Detail);

        _connection.Undefine(spec.Name);
        await Expect(events, spec.Name, DomainLifecycleEventType.Undefined);
        Assert.Null(_connection.Find(spec.Name));
    }

    [Fact]
    public async Task A_disposed_subscription_completes_its_queue_and_the_connection_still_works()
    {
        var events = _connection.SubscribeLifecycle();
        events.Dispose();
        await events.Events.Completion.WaitAsync(EventWait);
        Assert.NotEmpty(_connection.ListDomains());
    }

    [Fact]
    public void Screenshot_reads_the_whole_stream_and_returns_libvirts_mime_type()
    {
        var shot = _connection.Screenshot("test");
        Assert.Equal("image/png", shot.MimeType);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, shot.Data.Take(4));

        // The test driver streams its stock image (libvirt0 ships it as /usr/share/libvirt/test-screenshot.png).
        Assert.Equal(File.ReadAllBytes("/usr/share/libvirt/test-screenshot.png"), shot.Data);
    }

    [Fact]
    public void Keys_go_to_a_running_domain_and_a_stopped_one_refuses_them()
    {
        // KEY_H, KEY_I (linux/input-event-codes.h).
        _connection.SendKeys("test", new uint[] { 35, 23 });

        var spec = Spec();
        Define(spec);
        var error = Assert.Throws<LibvirtException>(() => _connection.SendKeys(spec.Name, new uint[] { 28 }));
        Assert.Equal(ErrorIds.DomainStateInvalid, error.ErrorId);
        Assert.Equal(FailureKind.InvalidOperation, error.Kind);
        Assert.Equal(spec.Name, error.Target);
        Assert.Equal(LibvirtErrorCode.OperationInvalid, error.Error!.Code);
    }

    [Fact]
    public void An_unknown_domain_is_LibvirtDomainNotFound_with_libvirts_own_message()
    {
        var error = Assert.Throws<LibvirtException>(() => _connection.GetState("no-such-domain"));
        Assert.Equal(ErrorIds.LibvirtDomainNotFound, error.ErrorId);
        Assert.Equal(FailureKind.ObjectNotFound, error.Kind);
        Assert.Equal("no-such-domain", error.Target);
        Assert.Equal(LibvirtErrorCode.NoDomain, error.Error!.Code);
        Assert.StartsWith(error.Error.Message, error.Message, StringComparison.Ordinal);
        Assert.Contains("'no-such-domain'", error.Message, StringComparison.Ordinal);
        Assert.Null(_connection.Find("no-such-domain"));
        Assert.Null(_connection.FindByUuid(Guid.NewGuid()));
        Assert.Equal("test", _connection.FindByUuid(Guid.Parse("6695eb01-f6a4-8304-79aa-97f2502e193f"))!.Name);
    }

    [Fact]
    public void Malformed_and_schema_invalid_XML_are_InvalidDomainXml()
    {
        var malformed = Assert.Throws<LibvirtException>(() => _connection.DefineNew("<domain type='qemu'><name>x</name>"));
        Assert.Equal(ErrorIds.InvalidDomainXml, malformed.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, malformed.Kind);

        var invalid = Assert.Throws<LibvirtException>(() => _connection.DefineNew(
            "<domain type='qemu'><name>hvm-schema</name><memory>lots</memory><os><type>hvm</type></os></domain>"));
        Assert.Equal(ErrorIds.InvalidDomainXml, invalid.ErrorId);
        Assert.Equal("hvm-schema", invalid.Target);
        Assert.Null(_connection.Find("hvm-schema"));
    }

    [Fact]
    public void Defining_a_name_that_exists_is_refused_and_leaves_the_first_domain_as_it_was()
    {
        var first = Spec();
        Define(first);
        var again = first with { Uuid = Guid.NewGuid(), MemoryMiB = 512 };
        var error = Assert.Throws<LibvirtException>(() => _connection.DefineNew(DomainXml.Build(again)));
        Assert.Equal(ErrorIds.LibvirtDomainExists, error.ErrorId);
        Assert.Equal(FailureKind.ResourceExists, error.Kind);
        Assert.Equal(first.Uuid, _connection.Find(first.Name)!.Uuid);
        Assert.Equal(256UL * 1024, DomainXml.Parse(_connection.GetXml(first.Name)).MemoryKiB);
    }

    [Fact]
    public void Starting_paused_is_an_unsupported_flag_for_the_test_driver()
    {
        var spec = Spec();
        Define(spec);
        var error = Assert.Throws<LibvirtException>(() => _connection.Start(spec.Name, paused: true));
        Assert.Equal(ErrorIds.LibvirtInvalidArgument, error.ErrorId);
        Assert.Contains("unsupported flags", error.Message, StringComparison.Ordinal);
        Assert.Equal(LibvirtDomainState.Shutoff, _connection.GetState(spec.Name).State);
    }

    [Fact]
    public void Calls_the_test_driver_lacks_are_LibvirtNotSupported()
    {
        Assert.Equal(ErrorIds.LibvirtNotSupported, Assert.Throws<LibvirtException>(() => _connection.GetDomainCapabilities()).ErrorId);
        Assert.Equal(ErrorIds.LibvirtNotSupported, Assert.Throws<LibvirtException>(() => _connection.SupportsVirtualizationType("kvm")).ErrorId);
        Assert.Equal(ErrorIds.LibvirtNotSupported, Assert.Throws<LibvirtException>(() => _connection.QemuMonitorCommand("test", "info status", humanMonitor: true)).ErrorId);
        Assert.Equal(ErrorIds.LibvirtNotSupported, Assert.Throws<LibvirtException>(() =>
            _connection.UpdateDevice("test", "<graphics type='vnc' passwd='x'/>", live: true, config: false)).ErrorId);
    }

    [Fact]
    public void A_read_only_connection_lists_but_may_not_define()
    {
        using var readOnly = LibvirtConnection.Open(TestUri, readOnly: true);
        Assert.Contains(readOnly.ListDomains(), d => d.Name == "test");
        var error = Assert.Throws<LibvirtException>(() => readOnly.DefineNew(DomainXml.Build(Spec())));
        Assert.Equal(ErrorIds.LibvirtAccessDenied, error.ErrorId);
        Assert.Equal(FailureKind.PermissionDenied, error.Kind);
    }

    [Fact]
    public void The_test_driver_has_no_console_and_says_so_as_LibvirtNotSupported()
    {
        var error = Assert.Throws<LibvirtException>(() => _connection.OpenConsole("test"));
        Assert.Equal(ErrorIds.LibvirtNotSupported, error.ErrorId);
        Assert.Contains("virDomainOpenConsole", error.Message, StringComparison.Ordinal);
    }

    private LibvirtDomainId Define(LibvirtDomainSpec spec)
    {
        var id = _connection.DefineNew(DomainXml.Build(spec));
        _defined.Add(spec.Name);
        return id;
    }

    private static LibvirtDomainSpec Spec() => new()
    {
        Name = "hvm-" + Guid.NewGuid().ToString("N")[..12],
        Uuid = Guid.NewGuid(),
        MemoryMiB = 256,
        KernelPath = "/var/lib/libvirt/images/vmlinuz",
        InitrdPath = "/var/lib/libvirt/images/initrd.img",
        KernelArguments = "console=ttyS0",
        PortForwards = new[] { new PortForward("127.0.0.1", 18080, 80) },
        VncPassword = "s3cret-pw",
    };

    private static async Task<DomainLifecycleEvent> Expect(DomainLifecycleSubscription events, string name, DomainLifecycleEventType type)
    {
        var e = await events.WaitForAsync(x => x.DomainName == name && x.Type == type, EventWait);
        return e ?? throw new Xunit.Sdk.XunitException($"No {type} event for {name} within {EventWait.TotalSeconds} s.");
    }
}
