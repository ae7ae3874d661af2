using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;

namespace HeadlessVm.Core.Tests;

/// <summary>Which running VM holds a forward's host port or a disk image that a VM about to start wants.</summary>
public sealed class SharedResourcesTests
{
    private static VmSpec Vm(string name, string[]? forwards = null, string[]? disks = null, string[]? extra = null) => new()
    {
        Name = name,
        PortForwards = (forwards ?? Array.Empty<string>()).Select(f => PortForward.Parse(f)).ToArray(),
        Disks = (disks ?? Array.Empty<string>()).Select(d => new DiskSpec(d, "qcow2")).ToArray(),
        ExtraArguments = extra ?? Array.Empty<string>(),
    };

    [Fact]
    public void A_forward_is_held_by_a_VM_on_the_same_port_and_an_overlapping_address()
    {
        var running = new[] { Vm("a", forwards: new[] { "127.0.0.2:8080:80" }), Vm("b", forwards: new[] { "0.0.0.0:9090:80" }) };
        Assert.Equal("a", SharedResources.ForwardHolder(PortForward.Parse("127.0.0.2:8080:22"), running)?.Name);
        Assert.Null(SharedResources.ForwardHolder(PortForward.Parse("127.0.0.1:8080:80"), running));
        Assert.Equal("a", SharedResources.ForwardHolder(PortForward.Parse("0.0.0.0:8080:80"), running)?.Name);
        Assert.Equal("b", SharedResources.ForwardHolder(PortForward.Parse("127.0.0.1:9090:80"), running)?.Name);
        Assert.Null(SharedResources.ForwardHolder(PortForward.Parse("127.0.0.1:9091:80"), running));
    }

    [Fact]
    public void A_new_VM_is_warned_of_each_forward_and_disk_another_VM_has()
    {
        var others = new[] { Vm("a", forwards: new[] { "2222:22" }, disks: new[] { "/d/a.qcow2" }), Vm("b", disks: new[] { "/d/b.qcow2" }) };
        var warnings = SharedResources.Warnings(Vm("c", forwards: new[] { "2222:22", "2223:22" }, disks: new[] { "/d/b.qcow2", "/d/c.qcow2" }), others).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.StartsWith("VM 'c' forwards 127.0.0.1:2222->22 as VM 'a' does", warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("VM 'c' uses disk '/d/b.qcow2' as VM 'b' does", warnings[1], StringComparison.Ordinal);
        Assert.Empty(SharedResources.Warnings(Vm("d", forwards: new[] { "2224:22" }), others));
    }

    [Fact]
    public void A_disk_is_held_by_a_VM_that_has_the_same_image_unless_both_only_read_it()
    {
        var running = new[] { Vm("a", disks: new[] { "/d/a.qcow2", "/d/shared.qcow2" }) };
        Assert.Equal("a", SharedResources.DiskHolder(Vm("b"), "/d/shared.qcow2", running)?.Name);
        Assert.Null(SharedResources.DiskHolder(Vm("b"), "/d/b.qcow2", running));
        var readers = new[] { Vm("a", disks: new[] { "/d/shared.qcow2" }, extra: new[] { "-snapshot" }) };
        Assert.Null(SharedResources.DiskHolder(Vm("b", extra: new[] { "-snapshot" }), "/d/shared.qcow2", readers));
        Assert.Equal("a", SharedResources.DiskHolder(Vm("b"), "/d/shared.qcow2", readers)?.Name);
    }

    /// <summary>A template (/d/base.qcow2), two linked copies of it (/d/o1.qcow2, /d/o2.qcow2) and an overlay of o1 (/d/o1b.qcow2).</summary>
    private static IReadOnlyList<string> Chain(string path) => path switch
    {
        "/d/o1.qcow2" => new[] { path, "/d/base.qcow2" },
        "/d/o2.qcow2" => new[] { path, "/d/base.qcow2" },
        "/d/o1b.qcow2" => new[] { path, "/d/o1.qcow2", "/d/base.qcow2" },
        _ => new[] { path },
    };

    [Fact]
    public void Backing_chains_clash_where_one_qemu_writes_an_image_another_opens_and_readers_share()
    {
        var template = Vm("tpl", disks: new[] { "/d/base.qcow2" });
        var copy1 = Vm("c1", disks: new[] { "/d/o1.qcow2" });
        var copy2 = Vm("c2", disks: new[] { "/d/o2.qcow2" });
        var deep = Vm("deep", disks: new[] { "/d/o1b.qcow2" });

        // The template runs: an overlay's start would read what it writes, at any depth.
        Assert.Equal(new DiskClash("/d/o1.qcow2", "/d/base.qcow2", "tpl", "/d/base.qcow2"), SharedResources.ChainHolder(copy1, DiskAccess.Start, new[] { template }, Chain));
        Assert.Equal("tpl", SharedResources.ChainHolder(deep, DiskAccess.Start, new[] { template }, Chain)?.Holder);

        // An overlay runs: the template's start, or a checkpoint of it, would write what it reads; a copy only reads it too.
        Assert.Equal(new DiskClash("/d/base.qcow2", "/d/base.qcow2", "c1", "/d/o1.qcow2"), SharedResources.ChainHolder(template, DiskAccess.Start, new[] { copy1 }, Chain));
        Assert.Equal("c1", SharedResources.ChainHolder(template, DiskAccess.WriteImage, new[] { copy1 }, Chain)?.Holder);
        Assert.Null(SharedResources.ChainHolder(template, DiskAccess.Read, new[] { copy1 }, Chain));
        Assert.Equal("deep", SharedResources.ChainHolder(copy1, DiskAccess.WriteImage, new[] { deep }, Chain)?.Holder);

        // Two overlays of one template only read it; a checkpoint of an overlay leaves its backing file alone.
        Assert.Null(SharedResources.ChainHolder(copy2, DiskAccess.Start, new[] { copy1 }, Chain));
        Assert.Null(SharedResources.ChainHolder(copy1, DiskAccess.WriteImage, new[] { template }, Chain));

        // qemu -snapshot on the template only reads it: the overlays may run beside it, and it beside them.
        var readOnly = template with { ExtraArguments = new[] { "-snapshot" } };
        Assert.Null(SharedResources.ChainHolder(copy1, DiskAccess.Start, new[] { readOnly }, Chain));
        Assert.Null(SharedResources.ChainHolder(readOnly, DiskAccess.Start, new[] { copy1 }, Chain));
    }
}
