using HeadlessVm.Core;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tests;

public sealed class StateTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hvm-core-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_state_root_is_HEADLESSVM_HOME_else_XDG_STATE_HOME_else_the_home_folder()
    {
        string? Env(string name, Dictionary<string, string> values) => values.TryGetValue(name, out var v) ? v : null;
        Assert.Equal("/a", StatePaths.FromEnvironment(n => Env(n, new() { ["HEADLESSVM_HOME"] = "/a", ["XDG_STATE_HOME"] = "/x", ["HOME"] = "/h" })).Root);
        Assert.Equal("/x/headlessvm", StatePaths.FromEnvironment(n => Env(n, new() { ["XDG_STATE_HOME"] = "/x", ["HOME"] = "/h" })).Root);
        Assert.Equal("/h/.local/state/headlessvm", StatePaths.FromEnvironment(n => Env(n, new() { ["XDG_STATE_HOME"] = "relative", ["HOME"] = "/h" })).Root);
    }

    [Fact]
    public void A_spec_round_trips_through_the_store_with_private_permissions_and_no_temp_files()
    {
        var store = new VmStore(new StatePaths(_root));
        var spec = new VmSpec
        {
            Name = "db-1",
            MemoryMB = 512,
            ProcessorCount = 2,
            Cpu = "Haswell",
            Accelerator = AcceleratorKind.Tcg,
            IsoPath = "/isos/x.iso",
            Disks = new[] { new DiskSpec("/d/a.qcow2", "qcow2") },
            VncDisplay = 5,
            PortForwards = new[] { PortForward.Parse("2222:22") },
            ExtraArguments = new[] { "-rtc", "base=utc" },
        };
        store.Save(spec);

        var back = store.Get("db-1");
        Assert.Equal(spec.Name, back.Name);
        Assert.Equal(spec.MemoryMB, back.MemoryMB);
        Assert.Equal(spec.Cpu, back.Cpu);
        Assert.Equal(spec.Accelerator, back.Accelerator);
        Assert.Equal(spec.Disks, back.Disks);
        Assert.Equal(spec.PortForwards, back.PortForwards);
        Assert.Equal(spec.ExtraArguments, back.ExtraArguments);
        Assert.Equal(spec.Created, back.Created);

        var folder = store.Paths.ForVm("db-1").Folder;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "vm.json")));
        Assert.Equal(new[] { "vm.json" }, Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Contains("\"Accelerator\": \"Tcg\"", File.ReadAllText(Path.Combine(folder, "vm.json")));

        Assert.Equal(new[] { "db-1" }, store.List().Select(s => s.Name));
        store.Delete("db-1");
        Assert.Empty(store.List());
        Assert.Null(store.Find("db-1"));
    }

    [Fact]
    public void A_corrupt_record_is_a_clear_error()
    {
        var store = new VmStore(new StatePaths(_root));
        Directory.CreateDirectory(store.Paths.ForVm("bad").Folder);
        File.WriteAllText(store.Paths.ForVm("bad").SpecFile, "{ not json");
        Assert.Equal("VmRecordDamaged", Assert.Throws<HeadlessVmException>(() => store.Find("bad")).ErrorId);
    }

    [Theory]
    [InlineData("web1", true)]
    [InlineData("a.b_c-d", true)]
    [InlineData("_x", true)]
    [InlineData("", false)]
    [InlineData("../x", false)]
    [InlineData("a/b", false)]
    [InlineData("a;b", false)]
    [InlineData("$(id)", false)]
    [InlineData(".x", false)]
    [InlineData("-x", false)]
    [InlineData("é", false)]
    public void Names_are_letters_digits_dot_underscore_dash(string name, bool valid)
    {
        Assert.Equal(valid, VmStore.IsValidName(name));
    }

    [Fact]
    public void Names_are_at_most_63_characters()
    {
        Assert.True(VmStore.IsValidName(new string('a', 63)));
        Assert.False(VmStore.IsValidName(new string('a', 64)));
    }

    [Fact]
    public void The_store_lock_excludes_a_second_holder_until_released()
    {
        var store = new VmStore(new StatePaths(_root));
        using (store.Lock())
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            Assert.ThrowsAny<OperationCanceledException>(() => store.Lock(cts.Token));
        }

        // Released: taken again at once (bounded, so that a lock that stays held fails the test instead of hanging it).
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using (store.Lock(bound.Token))
        {
        }
    }

    [Fact]
    public void Auto_picks_KVM_when_usable_and_otherwise_TCG_with_a_warning()
    {
        var warnings = new List<string>();
        Assert.Equal(AcceleratorKind.Kvm, Accelerators.Resolve(AcceleratorKind.Auto, "v", kvmUsable: true, warnings.Add));
        Assert.Empty(warnings);
        Assert.Equal(AcceleratorKind.Tcg, Accelerators.Resolve(AcceleratorKind.Auto, "v", kvmUsable: false, warnings.Add));
        Assert.Contains("TCG", Assert.Single(warnings));
        Assert.Equal("KvmUnavailable", Assert.Throws<HeadlessVmException>(() => Accelerators.Resolve(AcceleratorKind.Kvm, "v", false, null)).ErrorId);
        Assert.Equal("host", Accelerators.DefaultCpu(AcceleratorKind.Kvm));
        Assert.Equal("max", Accelerators.DefaultCpu(AcceleratorKind.Tcg));
        Assert.False(Accelerators.IsKvmUsable("/nonexistent/kvm"));
    }
}
