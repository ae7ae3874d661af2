using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// libvirt's &lt;domainsnapshot&gt; both ways: the request HeadlessVm sends, and snapshots as libvirt 9.0 dumped them on this
/// machine (virsh snapshot-dumpxml; the domain part cut to its disks), read as checkpoints; then the calls themselves on the
/// test driver, which keeps snapshots in memory.
/// </summary>
public sealed class DomainSnapshotXmlTests
{
    private static readonly HostTarget Host = new("h1", "qemu+ssh://h1/system");

    private const string Stopped = """
        <domainsnapshot>
          <name>s1</name>
          <description>hello there</description>
          <state>shutoff</state>
          <creationTime>1796076870</creationTime>
          <memory snapshot='no'/>
          <disks>
            <disk name='vda' snapshot='internal'/>
            <disk name='hdc' snapshot='no'/>
          </disks>
          <domain type='qemu'>
            <name>vm1</name>
            <memory unit='KiB'>32768</memory>
            <devices>
              <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
              <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/var/lib/libvirt/images/boot.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
            </devices>
          </domain>
        </domainsnapshot>
        """;

    [Fact]
    public void A_snapshot_of_a_stopped_domain_is_a_disks_only_checkpoint_of_its_snapshotted_disks()
    {
        var snapshot = DomainSnapshotXml.Parse(Stopped, "vm1", Host);
        Assert.Equal(("vm1", "s1", "hello there", false), (snapshot.VmName, snapshot.SnapshotName, snapshot.Description, snapshot.HasMemory));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796076870), snapshot.Created);
        Assert.Equal(new[] { "/var/lib/libvirt/images/a.qcow2" }, snapshot.DiskPath);
        Assert.Equal(("h1", "qemu+ssh://h1/system"), (snapshot.ComputerName, snapshot.ConnectionUri));
        Assert.Null(snapshot.VmStateSize);
        Assert.Null(snapshot.VmClock);
    }

    [Theory]
    [InlineData("<memory snapshot='internal'/><state>running</state>", true)]
    [InlineData("<memory snapshot='no'/><state>disk-snapshot</state>", false)]
    [InlineData("<state>paused</state>", true)]
    [InlineData("<state>shutoff</state>", false)]
    public void Memory_is_what_the_memory_element_says_else_what_the_state_implies(string parts, bool hasMemory)
    {
        var snapshot = DomainSnapshotXml.Parse($"<domainsnapshot><name>s</name>{parts}</domainsnapshot>", "vm1", Host);
        Assert.Equal(hasMemory, snapshot.HasMemory);
        Assert.Empty(snapshot.DiskPath);
    }

    [Fact]
    public void The_request_carries_the_name_and_description_escaped_and_nothing_else()
    {
        Assert.Equal("<domainsnapshot><name>a &amp; b</name><description>&lt;x&gt;</description></domainsnapshot>", DomainSnapshotXml.Request("a & b", "<x>"));
        Assert.Equal("<domainsnapshot><name>s</name></domainsnapshot>", DomainSnapshotXml.Request("s", null));
        Assert.Equal("s", DomainSnapshotXml.Parse(DomainSnapshotXml.Request("s", ""), "vm1", Host).SnapshotName);
    }

    [Fact]
    public void Text_that_is_no_snapshot_is_InvalidDomainXml_with_the_VM_as_target()
    {
        foreach (var xml in new[] { "not xml", "<domain><name>x</name></domain>", "<domainsnapshot/>" })
        {
            var error = Assert.Throws<LibvirtException>(() => DomainSnapshotXml.Parse(xml, "vm1", Host));
            Assert.Equal((ErrorIds.InvalidDomainXml, "vm1"), (error.ErrorId, error.Target));
        }
    }

    [Fact]
    public void Snapshots_are_made_listed_found_reverted_and_deleted_through_libvirt_and_a_missing_one_is_SnapshotNotFound()
    {
        using var connection = LibvirtConnection.Open("test:///default");
        var name = "hvm-snap-" + Guid.NewGuid().ToString("N")[..6];
        connection.DefineNew($"<domain type='test'><name>{name}</name><memory>1024</memory><os><type>hvm</type></os></domain>");
        try
        {
            connection.CreateSnapshot(name, DomainSnapshotXml.Request("one", "first"));
            connection.CreateSnapshot(name, DomainSnapshotXml.Request("two", null));
            Assert.Equal(new[] { "one", "two" }, connection.ListSnapshots(name).Select(x => DomainSnapshotXml.Parse(x, name, Host).SnapshotName).Order());
            Assert.Equal("first", DomainSnapshotXml.Parse(connection.FindSnapshot(name, "one")!, name, Host).Description);
            Assert.Null(connection.FindSnapshot(name, "nosuch"));

            var taken = Assert.Throws<LibvirtException>(() => connection.CreateSnapshot(name, DomainSnapshotXml.Request("one", null)));
            Assert.Equal(name, taken.Target);

            connection.RevertToSnapshot(name, "one", SnapshotRevertMode.AsTaken);
            connection.DeleteSnapshot(name, "one");
            Assert.Null(connection.FindSnapshot(name, "one"));
            var missing = Assert.Throws<LibvirtException>(() => connection.DeleteSnapshot(name, "one"));
            Assert.Equal((ErrorIds.SnapshotNotFound, FailureKind.ObjectNotFound, name), (missing.ErrorId, missing.Kind, missing.Target));
            Assert.Equal(LibvirtErrorCode.NoDomainSnapshot, missing.Error!.Code);
        }
        finally
        {
            connection.Undefine(name);
        }
    }
}
