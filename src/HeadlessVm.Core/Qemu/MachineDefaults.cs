namespace HeadlessVm.Core.Qemu;

/// <summary>
/// The choices made for a VM when its definition leaves them open, the same for every backend: the qemu
/// command line of the folder store (<see cref="QemuArgumentBuilder"/>) and libvirt's domain XML
/// (<see cref="Libvirt.DomainXml"/>) read them from here.
/// </summary>
public static class MachineDefaults
{
    /// <summary>
    /// The machine type for an architecture whose qemu has no default one: "virt" for Arm and RISC-V
    /// (qemu-system-aarch64 -machine help lists no default); null keeps qemu's default (pc on x86).
    /// </summary>
    public static string? Machine(string architecture) => architecture switch
    {
        "aarch64" or "arm" or "riscv64" or "riscv32" => "virt",
        _ => null,
    };

    /// <summary>
    /// qemu's boot letters when none are given: none for a direct kernel boot; an ISO first (the install
    /// case), then the first disk; the first disk alone; null when there is nothing to boot from.
    /// </summary>
    public static string? BootOrder(bool hasKernel, bool hasIso, int diskCount)
    {
        if (hasKernel)
        {
            return null;
        }

        if (hasIso)
        {
            return diskCount == 0 ? "d" : "dc";
        }

        return diskCount > 0 ? "c" : null;
    }
}
