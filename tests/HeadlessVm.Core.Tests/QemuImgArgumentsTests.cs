using HeadlessVm.Core;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Qemu;
using Xunit;

namespace HeadlessVm.Core.Tests;

public sealed class QemuImgArgumentsTests
{
    [Fact]
    public void Create_is_format_path_and_size_in_bytes()
    {
        var c = QemuImg.CreateCommand("/vms/a.qcow2", "qcow2", 10L * 1024 * 1024 * 1024);
        Assert.Equal("qemu-img", c.Program);
        Assert.Equal(new[] { "create", "-f", "qcow2", "/vms/a.qcow2", "10737418240" }, c.Arguments);
    }

    [Fact]
    public void A_linked_clone_names_its_backing_file_and_the_backing_format()
    {
        var c = QemuImg.CreateCommand("/vms/clone.qcow2", "qcow2", null, "/images/base.qcow2", "qcow2");
        Assert.Equal(new[] { "create", "-f", "qcow2", "-b", "/images/base.qcow2", "-F", "qcow2", "/vms/clone.qcow2" }, c.Arguments);
    }

    [Fact]
    public void A_path_that_looks_like_an_option_is_not_read_as_one()
    {
        Assert.Equal("./-x.raw", QemuImg.CreateCommand("-x.raw", "raw", 1).Arguments[3]);
        Assert.Equal("./-x.raw", QemuImg.InfoCommand("-x.raw").Arguments[^1]);
    }

    [Fact]
    public void Info_asks_for_json_and_shares_the_lock_of_a_running_VM()
    {
        Assert.Equal(new[] { "info", "--output=json", "-U", "/vms/a.qcow2" }, QemuImg.InfoCommand("/vms/a.qcow2").Arguments);
    }

    [Fact]
    public void Info_json_of_a_qcow2_linked_clone_becomes_a_VmDisk()
    {
        const string json = """
            {
                "backing-filename-format": "qcow2",
                "virtual-size": 16609280,
                "filename": "c.qcow2",
                "cluster-size": 65536,
                "format": "qcow2",
                "actual-size": 200704,
                "format-specific": {
                    "type": "qcow2",
                    "data": { "compat": "1.1", "compression-type": "zlib", "lazy-refcounts": false, "refcount-bits": 16, "corrupt": true, "extended-l2": false }
                },
                "full-backing-filename": "/images/base.qcow2",
                "backing-filename": "base.qcow2",
                "dirty-flag": true
            }
            """;
        var d = QemuImg.ParseInfo(json, "/vms/c.qcow2");
        Assert.Equal("/vms/c.qcow2", d.Path);
        Assert.Equal("qcow2", d.Format);
        Assert.Equal(16609280, d.VirtualSize);
        Assert.Equal(200704, d.ActualSize);
        Assert.Equal("/images/base.qcow2", d.BackingPath);
        Assert.Equal("qcow2", d.BackingFormat);
        Assert.True(d.Dirty);
        Assert.True(d.Corrupt);
        Assert.Equal(65536, d.ClusterSize);
        Assert.Equal("1.1", d.Compat);
    }

    [Fact]
    public void Info_json_of_a_raw_image_has_no_corrupt_flag_and_no_backing()
    {
        var d = QemuImg.ParseInfo("""{ "virtual-size": 512, "filename": "x.img", "format": "raw", "actual-size": 4096, "dirty-flag": false }""", "/x.img");
        Assert.Equal("raw", d.Format);
        Assert.Null(d.Corrupt);
        Assert.Null(d.BackingPath);
        Assert.False(d.Dirty);
    }

    [Fact]
    public void A_relative_backing_name_is_resolved_against_the_image_folder()
    {
        var d = QemuImg.ParseInfo("""{ "virtual-size": 1, "format": "qcow2", "backing-filename": "base.qcow2" }""", "/vms/sub/c.qcow2");
        Assert.Equal("/vms/sub/base.qcow2", d.BackingPath);
    }

    [Fact]
    public void Output_that_is_not_json_is_a_specific_error()
    {
        var ex = Assert.Throws<HeadlessVmException>(() => QemuImg.ParseInfo("image: x", "/x"));
        Assert.Equal("QemuImgOutputUnreadable", ex.ErrorId);
    }

    [Fact]
    public void Serial_output_splits_into_lines_without_CR_or_control_characters_and_keeps_a_last_partial_line()
    {
        Assert.Equal(new[] { "SeaBIOS", "Booting", "login: " }, SerialLog.SplitLines("\u001bcSeaBIOS\r\n\u001b[2J\u001b[1;1HBooting\r\n\0login: "));
    }

    [Fact]
    public void A_follower_returns_new_complete_lines_and_starts_over_when_the_log_is_replaced()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "one\ntw");
            var f = new SerialLogFollower(file);
            Assert.Equal(new[] { (1, "one") }, f.ReadNew());
            Assert.Equal("tw", f.Pending);
            File.AppendAllText(file, "o\nthree\n");
            Assert.Equal(new[] { (2, "two"), (3, "three") }, f.ReadNew());
            Assert.Empty(f.ReadNew());
            File.WriteAllText(file, "new\n");
            Assert.Equal(new[] { (1, "new") }, f.ReadNew());

            var fromEnd = new SerialLogFollower(file, fromEnd: true);
            Assert.Empty(fromEnd.ReadNew());
            File.AppendAllText(file, "later\n");
            Assert.Equal(new[] { (2, "later") }, fromEnd.ReadNew());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
