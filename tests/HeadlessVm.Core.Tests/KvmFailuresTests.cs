using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tests;

/// <summary>Auto remembers a failed KVM start per qemu binary and boot, in the store.</summary>
public sealed class KvmFailuresTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hvm-kvm-").FullName;
    private string _bootId = "boot-1";

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private KvmFailures Failures => new(new StatePaths(_root), () => _bootId);

    private string Program()
    {
        var program = Path.Combine(_root, "qemu-system-x86_64");
        if (!File.Exists(program))
        {
            File.WriteAllText(program, "binary v1");
        }

        return program;
    }

    [Fact]
    public void A_remembered_failure_holds_for_the_same_binary_on_the_same_boot_in_a_private_file()
    {
        var program = Program();
        Assert.Null(Failures.Find(program));
        Failures.Remember(program, "failed to set MSR 0x10a");

        var found = Failures.Find(program);
        Assert.NotNull(found);
        Assert.Equal("failed to set MSR 0x10a", found.Reason);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(_root, "host")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        Failures.Forget(program);
        Assert.Null(Failures.Find(program));
    }

    [Fact]
    public void A_reboot_or_a_changed_qemu_binary_gives_KVM_another_chance()
    {
        var program = Program();
        Failures.Remember(program, "broken");
        _bootId = "boot-2";
        Assert.Null(Failures.Find(program));

        Failures.Remember(program, "broken");
        Assert.NotNull(Failures.Find(program));
        File.WriteAllText(program, "binary v2, upgraded");
        Assert.Null(Failures.Find(program));
    }

    [Fact]
    public void The_real_boot_id_is_read_from_proc()
    {
        var program = Program();
        var real = new KvmFailures(new StatePaths(_root));
        real.Remember(program, "broken");
        Assert.NotNull(real.Find(program));
        Assert.Contains(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), File.ReadAllText(Directory.GetFiles(Path.Combine(_root, "host"))[0]));
    }
}
