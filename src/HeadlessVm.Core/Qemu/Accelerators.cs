using HeadlessVm.Core.Model;
using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Qemu;

/// <summary>Decides between KVM and TCG.</summary>
public static class Accelerators
{
    public const string KvmDevice = "/dev/kvm";

    /// <summary>True when this user can open /dev/kvm for reading and writing, which is what qemu needs.</summary>
    public static bool IsKvmUsable(string device = KvmDevice)
    {
        try
        {
            using var stream = new FileStream(device, FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Resolves Auto; reports through <paramref name="warn"/> when it falls back to TCG.</summary>
    public static AcceleratorKind Resolve(AcceleratorKind requested, string vmName, bool kvmUsable, Action<string>? warn)
    {
        switch (requested)
        {
            case AcceleratorKind.Kvm when !kvmUsable:
                throw HeadlessVmErrors.KvmUnavailable(vmName);
            case AcceleratorKind.Kvm:
            case AcceleratorKind.Tcg:
                return requested;
            default:
                if (kvmUsable)
                {
                    return AcceleratorKind.Kvm;
                }

                warn?.Invoke($"{KvmDevice} is not usable here; VM '{vmName}' runs under TCG software emulation, which is much slower than KVM.");
                return AcceleratorKind.Tcg;
        }
    }

    public static string DefaultCpu(AcceleratorKind resolved) => resolved == AcceleratorKind.Kvm ? "host" : "max";
}
