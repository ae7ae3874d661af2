using HeadlessVm.Core;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Folder;
using HeadlessVm.Core.Qemu;
using Xunit;

namespace HeadlessVm.Core.Tests;

/// <summary>Checkpoints in the core: qemu-img snapshot's argv, its snapshot table read back from a real image, the names a checkpoint may have.</summary>
public sealed class CheckpointsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hvm-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Snapshot_commands_are_the_action_the_tag_and_the_path()
    {
        Assert.Equal(new[] { "snapshot", "-c", "before upgrade", "/vms/a.qcow2" }, QemuImg.SnapshotCommand(SnapshotAction.Create, "before upgrade", "/vms/a.qcow2").Arguments);
        Assert.Equal(new[] { "snapshot", "-a", "s", "/vms/a.qcow2" }, QemuImg.SnapshotCommand(SnapshotAction.Apply, "s", "/vms/a.qcow2").Arguments);
        Assert.Equal(new[] { "snapshot", "-d", "s", "./-a.qcow2" }, QemuImg.SnapshotCommand(SnapshotAction.Delete, "s", "-a.qcow2").Arguments);
    }

    [Fact]
    public void A_disk_snapshot_made_by_qemu_img_reads_back_with_its_name_date_and_no_machine_state()
    {
        var disks = new DiskImages(NullVmHost.Instance);
        var path = Path.Combine(_dir, "d.qcow2");
        disks.Create(path, null, 1024 * 1024, null, force: false);
        var before = DateTimeOffset.Now.AddSeconds(-2);
        disks.Snapshot("vm", SnapshotAction.Create, "first", path);
        disks.Snapshot("vm", SnapshotAction.Create, "second one", path);

        var (disk, snapshots) = disks.Describe(path);
        Assert.Equal("qcow2", disk.Format);
        Assert.Equal(new[] { "first", "second one" }, snapshots.Select(s => s.Name));
        Assert.All(snapshots, s =>
        {
            Assert.Equal(path, s.Path);
            Assert.Equal(0, s.VmStateSize);
            Assert.InRange(s.Created, before, DateTimeOffset.Now.AddSeconds(2));
        });

        var refused = Assert.Throws<NativeCommandException>(() => disks.Snapshot("vm", SnapshotAction.Delete, "nosuch", path));
        Assert.Equal(ErrorIds.QemuImgSnapshotFailed, refused.ErrorId);
        Assert.Equal("vm", refused.Target);
        Assert.Contains("nosuch", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_without_snapshots_has_an_empty_list()
    {
        Assert.Empty(QemuImg.ParseSnapshots("""{"format": "raw", "virtual-size": 1}""", "/x.img"));
    }

    [Theory]
    [InlineData("before upgrade")]
    [InlineData("web1-20261130-190000")]
    [InlineData("v1.2:rc+1")]
    [InlineData("1a")]
    public void A_checkpoint_name_of_letters_digits_and_a_few_marks_is_taken(string name) => Checkpoints.CheckName("vm", name);

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("-x")]
    [InlineData(" x")]
    [InlineData("a/b")]
    [InlineData("a\nb")]
    [InlineData("ab\n")]
    [InlineData("12\n")]
    public void A_checkpoint_name_that_is_empty_only_digits_or_has_other_characters_is_InvalidSnapshotName(string name)
    {
        var error = Assert.Throws<HeadlessVmException>(() => Checkpoints.CheckName("vm", name));
        Assert.Equal(ErrorIds.InvalidSnapshotName, error.ErrorId);
        Assert.Equal("vm", error.Target);
    }

    [Fact]
    public void A_checkpoint_without_a_name_is_named_after_the_VM_and_the_local_time()
    {
        Assert.Equal("web1-20261130-190405", Checkpoints.DefaultName("web1", new DateTimeOffset(2026, 11, 30, 19, 4, 5, TimeSpan.Zero)));
        Checkpoints.CheckName("web1", Checkpoints.DefaultName("web1", DateTimeOffset.Now));
    }
}
