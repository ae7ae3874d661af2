using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Backends;

/// <summary>What a running VM can take, the same for every backend.</summary>
public static partial class VmDraftValidator
{
    /// <summary>
    /// The settings that differ between <paramref name="spec"/> and <paramref name="next"/> and that a running VM cannot
    /// change, by their parameter names ("MemoryMB", "the disks"); empty when the change can be made live (only the ISO
    /// and the port forwards differ). Set-HeadlessVm refuses the others with VmMustBeStopped before anything changes.
    /// </summary>
    public static IReadOnlyList<string> NeedStop(VmSpec spec, VmSpec next)
    {
        var differ = new List<string>();
        void Check(bool changed, string setting)
        {
            if (changed)
            {
                differ.Add(setting);
            }
        }

        Check(next.Name != spec.Name, HeadlessVmErrors.RenameSetting);
        Check(next.MemoryMB != spec.MemoryMB, "MemoryMB");
        Check(next.ProcessorCount != spec.ProcessorCount, "ProcessorCount");
        Check(next.Cpu != spec.Cpu, "Cpu");
        Check(next.KernelArgument != spec.KernelArgument, "KernelArgument");
        Check(next.BootOrder != spec.BootOrder, "BootOrder");
        Check(next.MacAddress != spec.MacAddress, "MacAddress");
        Check(!next.Disks.SequenceEqual(spec.Disks), "the disks");
        Check(next.VncDisplay != spec.VncDisplay, "VncDisplay");
        Check(!ReferenceEquals(next.CloudInit, spec.CloudInit), "the cloud-init data");
        return differ;
    }
}
