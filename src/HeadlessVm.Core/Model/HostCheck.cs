namespace HeadlessVm.Core.Model;

/// <summary>How one check of Test-HeadlessVmHost came out.</summary>
public enum HostCheckStatus
{
    /// <summary>It works.</summary>
    Passed,

    /// <summary>It works, with a limit worth knowing (TCG only, say).</summary>
    Warning,

    /// <summary>It does not work; the remedy says what to do.</summary>
    Failed,

    /// <summary>HeadlessVm cannot do this for this host (yet); the remedy gives the way around.</summary>
    Unsupported,

    /// <summary>Not checked, because a check it depends on failed.</summary>
    NotRun,
}

/// <summary>
/// One line of Test-HeadlessVmHost: which <see cref="Check"/> on which host, how it came out, what was seen
/// (<see cref="Detail"/>) and, unless it passed, what to do (<see cref="Remedy"/>).
/// </summary>
public sealed class HostCheck
{
    /// <summary>The checks, in the order they run: each needs the ones before it.</summary>
    public static readonly IReadOnlyList<string> Checks = new[] { "Client", "Reachable", "Authenticated", "Daemon", "Kvm", "PortForward", "Console" };

    /// <summary>The checks of the folder store (Test-HeadlessVmHost local), in the order they run; Qemu once per architecture.</summary>
    public static readonly IReadOnlyList<string> LocalChecks = new[] { "StateFolder", "Qemu", "QemuImg", "Kvm", "Console" };

    internal HostCheck(string computerName, string? connectionUri, string check, HostCheckStatus status, string detail, string? remedy)
    {
        ComputerName = computerName;
        ConnectionUri = connectionUri;
        Check = check;
        Status = status;
        Detail = detail;
        Remedy = remedy;
    }

    public string ComputerName { get; }

    /// <summary>The libvirt URI checked; null for the folder store ("local"), which has none.</summary>
    public string? ConnectionUri { get; }

    /// <summary>
    /// A libvirt host's: Client (this machine's libvirt library), Reachable (the host answers), Authenticated (it lets us
    /// in without a prompt), Daemon (libvirtd there: its versions), Kvm (hardware acceleration), PortForward (forwards
    /// through the QEMU monitor), Console (a browser console for its VMs from this machine). The folder store's:
    /// StateFolder (writable and private), Qemu (qemu-system-ARCH installed), QemuImg, Kvm (usable, else TCG), Console
    /// (websockify and noVNC installed).
    /// </summary>
    public string Check { get; }

    public HostCheckStatus Status { get; }

    public string Detail { get; }

    /// <summary>What to do when the check did not pass; null when it passed.</summary>
    public string? Remedy { get; }

    public override string ToString() => $"{ComputerName} {Check}: {Status}";
}
