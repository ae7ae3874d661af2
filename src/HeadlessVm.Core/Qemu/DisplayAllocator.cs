using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Qemu;

/// <summary>
/// VNC displays for the store's VMs. Display N is TCP port 5900+N on the VM's listen address; a display
/// is free when no other VM of the store is assigned it and no program listens on its port.
/// </summary>
public sealed class DisplayAllocator
{
    /// <summary>The displays picked for VMs that leave the choice to the module: :1 to :99 (ports 5901-5999).</summary>
    public const int FirstPicked = 1;
    public const int LastPicked = 99;

    /// <summary>The highest display a user may choose: port 65535.</summary>
    public const int Highest = 65535 - VmSpec.VncBasePort;

    private readonly StatePaths _paths;

    public DisplayAllocator(StatePaths paths) => _paths = paths;

    /// <summary>The lowest display from :1 that is not in <paramref name="taken"/> and whose port is free on <paramref name="address"/>.</summary>
    public int Pick(string vmName, string address, IEnumerable<int> taken)
    {
        var assigned = taken.ToHashSet();
        for (var display = FirstPicked; display <= LastPicked; display++)
        {
            if (!assigned.Contains(display) && Ports.IsFree(address, VmSpec.VncBasePort + display))
            {
                return display;
            }
        }

        throw HeadlessVmErrors.NoFreeVncDisplay(vmName, FirstPicked, LastPicked);
    }

    /// <summary>
    /// Checks that <paramref name="display"/> can be <paramref name="vmName"/>'s: in range, not assigned
    /// to another VM (a running one only, unless <paramref name="considerStopped"/>), and its port free.
    /// </summary>
    public void CheckFree(string vmName, string address, int display, IReadOnlyList<VmSpec> others, bool considerStopped)
    {
        if (display is < 0 or > Highest)
        {
            throw HeadlessVmErrors.InvalidVncDisplay(vmName, display, Highest);
        }

        foreach (var other in others.Where(o => o.VncDisplay == display))
        {
            if (considerStopped || QemuProcess.Find(_paths.ForVm(other.Name)) is not null)
            {
                throw HeadlessVmErrors.VncDisplayInUse(vmName, display, other.Name);
            }
        }

        if (!Ports.IsFree(address, VmSpec.VncBasePort + display))
        {
            throw HeadlessVmErrors.VncPortInUse(vmName, display, address);
        }
    }
}
