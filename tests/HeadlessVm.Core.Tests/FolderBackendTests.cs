using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.Qmp;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tests;

/// <summary>
/// The folder backend as HeadlessVmContext wires it, on real qemu (paused, TCG) and real websockify: the
/// KVM fallback policy, and a VM taking its console bridge with it whoever stops it.
/// </summary>
[Collection(VncPortsCollection.Name)]
public sealed class FolderBackendTests : IDisposable
{
    private readonly TempStore _store = new("hvm-folder-");
    private readonly RecordingHost _host = new();
    private readonly string? _path = Environment.GetEnvironmentVariable("PATH");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PATH", _path);
        _store.Dispose();
    }

    // An address of its own: no other program takes a display picked there, so every qemu start below is one the test expects.
    private readonly string _address = FreePorts.PrivateLoopbackAddress();

    private VmSpec Draft(string name, string architecture = "x86_64", AcceleratorKind accelerator = AcceleratorKind.Tcg) =>
        new() { Name = name, Architecture = architecture, MemoryMB = 64, Network = NetworkMode.None, Accelerator = accelerator, ListenAddress = _address };

    /// <summary>
    /// A qemu for the made-up architecture "hvmtest" that refuses KVM as a host with broken KVM does
    /// (qemu's own words), logs each start, and runs the real qemu otherwise. Its folder is appended to
    /// PATH: no other program resolves differently.
    /// </summary>
    private (string Program, string Log) KvmRefusingQemu()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_store.Root, "bin")).FullName;
        var log = Path.Combine(bin, "starts.log");
        var program = Path.Combine(bin, "qemu-system-hvmtest");
        File.WriteAllText(program, $$"""
            #!/bin/sh
            for a in "$@"; do
              if [ "$a" = kvm ]; then echo kvm >> '{{log}}'; echo "qemu-system-x86_64: error: failed to initialize kvm: Operation not supported" >&2; exit 1; fi
            done
            echo tcg >> '{{log}}'
            exec /usr/bin/qemu-system-x86_64 "$@"
            """);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (!(_path ?? string.Empty).Split(':').Contains(bin))
        {
            Environment.SetEnvironmentVariable("PATH", _path + ":" + bin);
        }

        return (program, log);
    }

    [Fact]
    public void Auto_falls_back_to_TCG_when_qemu_refuses_KVM_remembers_it_for_the_boot_and_Kvm_asked_outright_fails_with_qemus_words()
    {
        var (program, log) = KvmRefusingQemu();
        // The device check passes: KVM looks usable until qemu tries it.
        var context = new HeadlessVmContext(_store.Paths, _host, kvmProbe: () => true);

        var first = context.Vms.Create(Draft("a1", "hvmtest", AcceleratorKind.Auto), null, start: true, paused: true, CancellationToken.None);
        Assert.Equal(AcceleratorKind.Tcg, first.Accelerator);
        Assert.Equal("max", first.Cpu);
        Assert.Equal(new[] { "kvm", "tcg" }, File.ReadAllLines(log));
        Assert.Contains(_host.Warnings, w => w.StartsWith("KVM failed for VM 'a1' (qemu-system-x86_64: error: failed to initialize kvm", StringComparison.Ordinal));
        Assert.Equal("qemu-system-x86_64: error: failed to initialize kvm: Operation not supported", context.KvmFailures.Find(program)?.Reason);

        _host.Warnings.Clear();
        var second = context.Vms.Create(Draft("a2", "hvmtest", AcceleratorKind.Auto), null, start: true, paused: true, CancellationToken.None);
        Assert.Equal(AcceleratorKind.Tcg, second.Accelerator);
        Assert.Equal(new[] { "kvm", "tcg", "tcg" }, File.ReadAllLines(log));
        Assert.Contains("earlier on this boot", Assert.Single(_host.Warnings));

        var refused = Assert.Throws<NativeCommandException>(() =>
            context.Vms.Create(Draft("k1", "hvmtest", AcceleratorKind.Kvm), null, start: true, paused: true, CancellationToken.None));
        Assert.Equal("QemuStartFailed", refused.ErrorId);
        Assert.Equal("k1", refused.Target);
        Assert.Contains("failed to initialize kvm", refused.Message);
        Assert.Equal(new[] { "kvm", "tcg", "tcg", "kvm" }, File.ReadAllLines(log));
        Assert.False(context.Vms.Exists("k1"));

        // A new boot (or another qemu binary) gives KVM another chance; here the remembered failure is forgotten by hand.
        context.KvmFailures.Forget(program);
        context.Vms.Stop(new[] { "a1" }, TimeSpan.Zero, force: true, _ => { }, (_, ex) => throw ex, CancellationToken.None);
        Assert.Equal(AcceleratorKind.Tcg, context.Vms.Start("a1", paused: true, CancellationToken.None).Accelerator);
        Assert.Equal(new[] { "kvm", "tcg", "tcg", "kvm", "kvm", "tcg" }, File.ReadAllLines(log));
    }

    [Fact]
    public void Stopping_or_removing_a_VM_through_the_core_takes_its_console_bridge_with_it_and_the_VM_shows_its_console_URL_while_bridged()
    {
        var context = new HeadlessVmContext(_store.Paths, _host, firstWebPort: Enumerable.Range(17500, 2000).First(p => Ports.IsFree("127.0.0.1", p)));
        context.Vms.Create(Draft("b1"), null, start: true, paused: true, CancellationToken.None);
        context.Vms.Create(Draft("b2"), null, start: true, paused: true, CancellationToken.None);
        var bridge1 = context.Bridges.Start(new BridgeRequest("b1", null, null, null, "127.0.0.1", null, null, null));
        var bridge2 = context.Bridges.Start(new BridgeRequest("b2", null, null, null, "127.0.0.1", null, null, null));
        Assert.Equal(BridgeState.Running, bridge1.State);
        Assert.Equal(bridge1.ProcessId, bridge2.ProcessId);
        Assert.Equal(bridge1.Url, context.Vms.Get("b1").ConsoleUrl);

        context.Vms.Stop(new[] { "b1" }, TimeSpan.Zero, force: true, stopped => Assert.Null(stopped.ConsoleUrl), (_, ex) => throw ex, CancellationToken.None);
        Assert.Equal(new[] { "b2" }, context.Bridges.List().Select(b => b.Name));
        Assert.True(ProcessInfo.IsAlive(bridge1.ProcessId!.Value));

        // The last bridge takes its console server with it.
        context.Vms.Remove("b2", force: true, CancellationToken.None);
        Assert.Empty(context.Bridges.List());
        Assert.True(ProcessInfo.WaitForExit(bridge1.ProcessId.Value, TimeSpan.FromSeconds(10)));
        Assert.Equal(new[] { "b1" }, context.Vms.Names());
        Assert.Null(context.Vms.Get("b1").ConsoleUrl);
    }

    [Fact]
    public void A_display_another_program_takes_after_it_was_picked_is_picked_again_when_qemu_starts()
    {
        // The race on cue: :1 was free when picked, and a program binds it before the start checks it.
        var store = new VmStore(_store.Paths);
        var launcher = new QemuLauncher(store, new DisplayAllocator(_store.Paths), new KvmFailures(_store.Paths), new VmMonitor(store, _host), () => false, _host, new DiskHolders(store, new DiskImages(_host)));
        var spec = VmDraftValidator.Validate(Draft("raced")) with { VncDisplay = 1, VncDisplayPicked = true };
        store.Save(spec);
        using var taker = new TcpListener(IPAddress.Parse(_address), VmSpec.VncBasePort + 1);
        taker.Start();

        var started = launcher.StartMovingPickedDisplay(spec, others: [], paused: true, CancellationToken.None);
        Assert.Equal(2, started.VncDisplay);
        Assert.Equal(2, store.Get("raced").VncDisplay);
        Assert.Contains("VNC display :1 is taken by another program; VM 'raced' uses :2 instead.", _host.Verbose);
        var password = VmSecrets.ReadVncPassword(_store.Paths.ForVm("raced"));
        Assert.True(VncProbe.Authenticate(_address, VmSpec.VncBasePort + 2, password).Accepted);

        // A display the user chose is not moved: the start fails, naming the port.
        var chosen = VmDraftValidator.Validate(Draft("chosen")) with { VncDisplay = 1 };
        store.Save(chosen);
        Assert.Equal("VncPortInUse", Assert.Throws<HeadlessVmException>(() =>
            launcher.StartMovingPickedDisplay(chosen, others: [], paused: true, CancellationToken.None)).ErrorId);
    }

    [Fact]
    public void Starting_a_stopped_VM_whose_picked_display_another_program_holds_moves_it_but_a_chosen_or_old_one_fails_with_VncPortInUse()
    {
        var context = new HeadlessVmContext(_store.Paths, _host);
        var picked = context.Vms.Create(Draft("picked"), null, start: false, paused: true, CancellationToken.None);
        var chosen = context.Vms.Create(Draft("chosen"), 7, start: false, paused: true, CancellationToken.None);
        Assert.True(new VmStore(_store.Paths).Get("picked").VncDisplayPicked);
        Assert.False(new VmStore(_store.Paths).Get("chosen").VncDisplayPicked);
        var first = picked.VncDisplay!.Value;

        // A real program holds the picked display's port while the VM is stopped: its start takes the next free one.
        using var taker = new TcpListener(IPAddress.Parse(_address), VmSpec.VncBasePort + first);
        taker.Start();
        var started = context.Vms.Start("picked", paused: true, CancellationToken.None);
        Assert.Equal(VmState.Paused, started.State);
        Assert.NotEqual(first, started.VncDisplay);
        Assert.NotEqual(7, started.VncDisplay);
        Assert.Equal(started.VncDisplay, new VmStore(_store.Paths).Get("picked").VncDisplay);
        Assert.Contains($"VNC display :{first} is taken by another program; VM 'picked' uses :{started.VncDisplay} instead.", _host.Verbose);
        var password = VmSecrets.ReadVncPassword(_store.Paths.ForVm("picked"));
        Assert.True(VncProbe.Authenticate(_address, started.VncPort!.Value, password).Accepted);

        // The display the user chose stays theirs: the start fails, naming the port, and nothing runs.
        using var chosenTaker = new TcpListener(IPAddress.Parse(_address), VmSpec.VncBasePort + 7);
        chosenTaker.Start();
        var error = Assert.Throws<HeadlessVmException>(() => context.Vms.Start("chosen", paused: true, CancellationToken.None));
        Assert.Equal("VncPortInUse", error.ErrorId);
        Assert.Equal("chosen", error.Target);
        Assert.Equal(VmState.Stopped, context.Vms.Get("chosen").State);
        Assert.Equal(7, new VmStore(_store.Paths).Get("chosen").VncDisplay);

        // A record written before VncDisplayPicked existed counts as chosen: its display is not moved either.
        var specFile = _store.Paths.ForVm("chosen").SpecFile;
        Assert.Contains("\"VncDisplayPicked\"", File.ReadAllText(specFile), StringComparison.Ordinal);
        var old = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(specFile))!.AsObject();
        old.Remove("VncDisplayPicked");
        File.WriteAllText(specFile, old.ToJsonString());
        Assert.Equal("VncPortInUse", Assert.Throws<HeadlessVmException>(() => context.Vms.Start("chosen", paused: true, CancellationToken.None)).ErrorId);

        context.Vms.Stop(new[] { "picked" }, TimeSpan.Zero, force: true, _ => { }, (_, ex) => throw ex, CancellationToken.None);
    }
}
