using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;

namespace HeadlessVm.Core.Tests.Hosts;

/// <summary>hosts.json (the registry) and how -ComputerName and -ConnectionUri become places to ask.</summary>
public sealed class HostsTests : IDisposable
{
    private readonly TempStore _store = new("hvm-hosts-");
    private readonly HostRegistry _registry;
    private readonly TargetResolver _resolver;

    public HostsTests()
    {
        _registry = new HostRegistry(_store.Paths);
        _resolver = new TargetResolver(_registry);
    }

    public void Dispose() => _store.Dispose();

    [Fact]
    public void A_registered_host_is_kept_in_a_private_hosts_json_and_read_back_by_any_registry_of_that_folder()
    {
        _registry.Register("h1", "qemu+ssh://root@10.0.0.1/system?no_tty=1", replace: false);
        _registry.Register("b2", "qemu:///system", replace: false);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_store.Paths.HostsFile));

        var again = new HostRegistry(_store.Paths);
        Assert.Equal(new[] { "b2", "h1" }, again.List().Select(h => h.Name));
        Assert.Equal("qemu:///system", again.Find("B2")!.Uri);
        Assert.Equal("h1", again.FindByUri("qemu+ssh://root@10.0.0.1/system?no_tty=1")!.Name);
    }

    [Fact]
    public void Registering_a_name_again_with_another_URI_needs_replace_and_forgetting_an_unknown_name_is_HostNotFound()
    {
        var first = _registry.Register("h1", "qemu:///system", replace: false);
        Assert.Equal(first, _registry.Register("h1", "qemu:///system", replace: false));
        var exists = Assert.Throws<HeadlessVmException>(() => _registry.Register("h1", "qemu:///session", replace: false));
        Assert.Equal(ErrorIds.HostExists, exists.ErrorId);
        Assert.Equal("h1", exists.Target);
        Assert.Equal("qemu:///session", _registry.Register("h1", "qemu:///session", replace: true).Uri);

        Assert.Equal("qemu:///session", _registry.Forget("H1").Uri);
        Assert.Empty(_registry.List());
        Assert.Equal(ErrorIds.HostNotFound, Assert.Throws<HeadlessVmException>(() => _registry.Forget("h1")).ErrorId);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("*")]
    [InlineData("two words")]
    [InlineData("root@h1")]
    [InlineData("")]
    public void Reserved_and_malformed_names_cannot_be_registered(string name)
    {
        var error = Assert.Throws<HeadlessVmException>(() => _registry.Register(name, "qemu:///system", replace: false));
        Assert.Equal(ErrorIds.InvalidHostName, error.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void Nothing_named_is_the_folder_store_alone_and_blank_cells_count_as_nothing()
    {
        Assert.Equal(new[] { HostTarget.Local }, _resolver.Resolve(null, null));
        Assert.Equal(new[] { HostTarget.Local }, _resolver.Resolve(new[] { "", " " }, new string?[] { null }));
        Assert.True(HostTarget.Local.IsLocalStore);
        Assert.True(HostTarget.Local.IsThisMachine);
    }

    [Fact]
    public void Names_resolve_to_the_store_registered_URIs_and_ssh_for_any_other_host_and_star_is_all_of_them_once()
    {
        _registry.Register("h1", "qemu+ssh://root@10.0.0.1/system?no_tty=1", replace: false);
        _registry.Register("system", "qemu:///system", replace: false);

        Assert.Equal(
            new[] { new HostTarget("h1", "qemu+ssh://root@10.0.0.1/system?no_tty=1"), HostTarget.Local, new HostTarget("web.example", "qemu+ssh://web.example/system?no_tty=1") },
            _resolver.Resolve(new[] { "H1", "local", "web.example", "h1" }, null));
        Assert.Equal(new[] { "h1", "system", "local" }, _resolver.Resolve(new[] { "*", "local" }, null).Select(t => t.ComputerName));
        Assert.Equal("qemu+ssh://admin@db1/system?no_tty=1", Assert.Single(_resolver.Resolve(new[] { "admin@db1" }, null)).ConnectionUri);
        Assert.False(Assert.Single(_resolver.Resolve(new[] { "h1" }, null)).IsThisMachine);
        Assert.True(Assert.Single(_resolver.Resolve(new[] { "system" }, null)).IsThisMachine);
    }

    [Fact]
    public void A_URI_is_shown_under_its_registered_name_else_its_host_and_pairs_with_names_as_a_piped_VM_gives_them()
    {
        _registry.Register("h1", "qemu+ssh://root@10.0.0.1/system?no_tty=1", replace: false);
        Assert.Equal("h1", Assert.Single(_resolver.Resolve(null, new[] { "qemu+ssh://root@10.0.0.1/system" })).ComputerName);
        Assert.Equal("10.0.0.2", Assert.Single(_resolver.Resolve(null, new[] { "qemu+tls://10.0.0.2/system" })).ComputerName);
        Assert.Equal(TargetResolver.LocalhostName, Assert.Single(_resolver.Resolve(null, new[] { "qemu:///system" })).ComputerName);

        var paired = Assert.Single(_resolver.Resolve(new[] { "web1-host" }, new[] { "qemu:///system" }));
        Assert.Equal(new HostTarget("web1-host", "qemu:///system"), paired);

        var mismatch = Assert.Throws<HeadlessVmException>(() => _resolver.Resolve(new[] { "a", "b" }, new[] { "qemu:///system" }));
        Assert.Equal(ErrorIds.HostNameUriMismatch, mismatch.ErrorId);
        Assert.Equal("a, b", mismatch.Target);
    }

    [Theory]
    [InlineData("qemu/system")]
    [InlineData("qemu:///system with spaces")]
    [InlineData("://nothing")]
    [InlineData("http://web1/system")]
    [InlineData("xen+ssh://web1/system")]
    [InlineData("qemu+https://web1/system")]
    [InlineData("qemu+ssh://web1/system?keyfile=")]
    [InlineData("qemu+ssh://web1/system?keyfile=id_ed25519")]
    [InlineData("qemu+ssh://web1/system?keyfile=/no/such/key")]
    public void Something_that_is_not_a_URI_is_InvalidConnectionUri(string uri)
    {
        var error = Assert.Throws<HeadlessVmException>(() => _resolver.Resolve(null, new[] { uri }));
        Assert.Equal(ErrorIds.InvalidConnectionUri, error.ErrorId);
        Assert.Equal(uri, error.Target);
    }

    [Theory]
    [InlineData("http://web1/system", "'http' is not a libvirt driver")]
    [InlineData("qemu+https://web1/system", "'https' is not a libvirt transport")]
    [InlineData("qemu+ssh://web1/system?keyfile=/no/such/key", "its keyfile '/no/such/key' cannot be read")]
    [InlineData("qemu+ssh://web1/system?keyfile=id_ed25519", "its keyfile 'id_ed25519' is not an absolute path")]
    public void An_invalid_URI_says_which_part_is_wrong(string uri, string why)
    {
        var error = Assert.Throws<HeadlessVmException>(() => TargetResolver.Normalise(uri));
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_URI_whose_keyfile_is_readable_is_taken_with_no_tty_added()
    {
        var key = Path.Combine(_store.Root, "id_test");
        File.WriteAllText(key, "not checked for content: ssh reads it");
        Assert.Equal($"qemu+ssh://web1/system?keyfile={key}&no_tty=1", TargetResolver.Normalise($"qemu+ssh://web1/system?keyfile={key}"));
        Assert.Equal("test:///default", TargetResolver.Normalise("test:///default"));
    }

    [Fact]
    public void A_name_that_is_neither_registered_nor_a_host_name_is_InvalidHostName()
    {
        var error = Assert.Throws<HeadlessVmException>(() => _resolver.Resolve(new[] { "not/a host" }, null));
        Assert.Equal(ErrorIds.InvalidHostName, error.ErrorId);
        Assert.Equal("not/a host", error.Target);
    }
}
