using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qemu;

namespace HeadlessVm.Core.Tests;

/// <summary>VNC displays: picked free from :1, checked when chosen; real listeners stand for other programs.</summary>
[Collection(VncPortsCollection.Name)]
public sealed class DisplayAllocatorTests : IDisposable
{
    private readonly TempStore _store = new("hvm-display-");

    public void Dispose() => _store.Dispose();

    private DisplayAllocator Displays => new(_store.Paths);

    private static VmSpec Vm(string name, int display) => new() { Name = name, VncDisplay = display };

    /// <summary>A display whose port and the next one's are free now (other programs on this machine may hold some).</summary>
    private static int TwoFreeDisplays() =>
        Enumerable.Range(DisplayAllocator.FirstPicked, DisplayAllocator.LastPicked - 1)
            .First(d => Ports.IsFree("127.0.0.1", VmSpec.VncBasePort + d) && Ports.IsFree("127.0.0.1", VmSpec.VncBasePort + d + 1));

    [Fact]
    public void The_first_display_not_assigned_to_a_VM_and_not_held_by_a_program_is_picked()
    {
        var free = TwoFreeDisplays();
        var assigned = Enumerable.Range(DisplayAllocator.FirstPicked, free - DisplayAllocator.FirstPicked).ToArray();
        Assert.Equal(free, Displays.Pick("v", "127.0.0.1", assigned));

        using var holder = new TcpListener(IPAddress.Loopback, VmSpec.VncBasePort + free);
        holder.Start();
        Assert.Equal(free + 1, Displays.Pick("v", "127.0.0.1", assigned));
    }

    [Fact]
    public void With_every_display_from_1_to_99_assigned_there_is_no_free_one()
    {
        var all = Enumerable.Range(DisplayAllocator.FirstPicked, DisplayAllocator.LastPicked);
        var ex = Assert.Throws<HeadlessVmException>(() => Displays.Pick("v", "127.0.0.1", all));
        Assert.Equal("NoFreeVncDisplay", ex.ErrorId);
        Assert.Equal("v", ex.Target);
    }

    [Fact]
    public void A_chosen_display_must_be_in_range_unassigned_and_its_port_free()
    {
        var free = TwoFreeDisplays();
        var others = new[] { Vm("holder", free) };
        Assert.Equal("InvalidVncDisplay", Assert.Throws<HeadlessVmException>(() => Displays.CheckFree("v", "127.0.0.1", -1, others, true)).ErrorId);
        Assert.Equal("InvalidVncDisplay", Assert.Throws<HeadlessVmException>(() => Displays.CheckFree("v", "127.0.0.1", DisplayAllocator.Highest + 1, others, true)).ErrorId);

        // Assigned to a VM: refused when creating (stopped VMs count), allowed at start while that VM is stopped.
        var taken = Assert.Throws<HeadlessVmException>(() => Displays.CheckFree("v", "127.0.0.1", free, others, considerStopped: true));
        Assert.Equal("VncDisplayInUse", taken.ErrorId);
        Assert.Contains("'holder'", taken.Message);
        Displays.CheckFree("v", "127.0.0.1", free, others, considerStopped: false);

        using var holder = new TcpListener(IPAddress.Loopback, VmSpec.VncBasePort + free + 1);
        holder.Start();
        Assert.Equal("VncPortInUse", Assert.Throws<HeadlessVmException>(() => Displays.CheckFree("v", "127.0.0.1", free + 1, others, false)).ErrorId);
    }
}
