using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Starting, stopping, pausing and reading the state of domains.</summary>
public sealed partial class LibvirtConnection
{
    // VIR_DOMAIN_START_PAUSED (virDomainCreateFlags), VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN
    // (virDomainShutdownFlagValues), VIR_DOMAIN_DESTROY_GRACEFUL (virDomainDestroyFlagsValues).
    private const uint StartPaused = 1 << 0;
    private const uint ShutdownAcpiPowerButton = 1 << 0;
    private const uint DestroyGraceful = 1 << 0;

    /// <summary>How many times <see cref="Start"/> tries a domain whose automatically chosen graphics port another program took.</summary>
    public const int AutoPortStartAttempts = 3;

    /// <summary>
    /// Starts a defined domain (virDomainCreateWithFlags); <paramref name="paused"/> leaves its CPUs stopped until
    /// <see cref="Resume"/> (VIR_DOMAIN_START_PAUSED), so a console opened in between misses no output.
    /// With autoport graphics libvirt checks that a port is free and qemu binds it later; another program can
    /// take it in between, and qemu then exits with "Failed to find an available port: Address already in use"
    /// (<see cref="IsAutoPortTaken"/>). Such a start is tried again, up to <see cref="AutoPortStartAttempts"/>
    /// times in all: libvirt picks a port anew each time. A domain with a fixed port is not retried.
    /// Throws <c>DomainStateInvalid</c> when it is already running, <c>LibvirtDomainNotFound</c> and others.
    /// </summary>
    public void Start(string name, bool paused = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var domain = Lookup(name);
                Check(DomainApi.virDomainCreateWithFlags(domain, paused ? StartPaused : 0), name);
                return;
            }
            catch (LibvirtException e) when (attempt < AutoPortStartAttempts && IsAutoPortTaken(e.Message) && HasAutoPortGraphics(name))
            {
            }
        }
    }

    /// <summary>
    /// True for qemu's words when the graphics port libvirt chose was taken before qemu could bind it
    /// (qemu's inet_listen_saddr: "Failed to find an available port: Address already in use", as libvirt
    /// passes it on in "qemu unexpectedly closed the monitor").
    /// </summary>
    public static bool IsAutoPortTaken(string message) =>
        message.Contains("Failed to find an available port", StringComparison.Ordinal) && message.Contains("Address already in use", StringComparison.Ordinal);

    private bool HasAutoPortGraphics(string name) =>
        DomainXml.Parse(GetXml(name, inactive: true), target: name).Graphics.Any(g => g.AutoPort);

    /// <summary>
    /// Asks the guest to power off and returns at once; the guest decides whether and when (watch for a Stopped
    /// lifecycle event). With <paramref name="acpiPowerButton"/> (the default) libvirt presses the ACPI power
    /// button (virDomainShutdownFlags with VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN); false lets the driver choose its
    /// method (flags 0; the test driver accepts only this). Throws <c>DomainStateInvalid</c> when the domain is
    /// not running.
    /// </summary>
    public void Shutdown(string name, bool acpiPowerButton = true)
    {
        using var domain = Lookup(name);
        Check(DomainApi.virDomainShutdownFlags(domain, acpiPowerButton ? ShutdownAcpiPowerButton : 0), name);
    }

    /// <summary>
    /// Powers the domain off at once (virDomainDestroyFlags). <paramref name="graceful"/> sends qemu SIGTERM only,
    /// never SIGKILL (VIR_DOMAIN_DESTROY_GRACEFUL). Throws <c>DomainStateInvalid</c> when it is not running.
    /// </summary>
    public void Destroy(string name, bool graceful = false)
    {
        using var domain = Lookup(name);
        Check(DomainApi.virDomainDestroyFlags(domain, graceful ? DestroyGraceful : 0), name);
    }

    /// <summary>Pauses the domain's CPUs (virDomainSuspend). Throws <c>DomainStateInvalid</c> when it is not running.</summary>
    public void Suspend(string name)
    {
        using var domain = Lookup(name);
        Check(DomainApi.virDomainSuspend(domain), name);
    }

    /// <summary>Resumes a paused domain (virDomainResume). Throws <c>DomainStateInvalid</c> when it is not paused.</summary>
    public void Resume(string name)
    {
        using var domain = Lookup(name);
        Check(DomainApi.virDomainResume(domain), name);
    }

    /// <summary>Resets the domain like a reset button, without a guest shutdown (virDomainReset).</summary>
    public void Reset(string name)
    {
        using var domain = Lookup(name);
        Check(DomainApi.virDomainReset(domain, 0), name);
    }

    /// <summary>The domain's state and its reason (virDomainGetState; one RPC after the lookup).</summary>
    public LibvirtDomainStatus GetState(string name)
    {
        using var domain = Lookup(name);
        Check(DomainApi.virDomainGetState(domain, out var state, out var reason, 0), name);
        return new LibvirtDomainStatus((LibvirtDomainState)state, reason);
    }

    /// <summary>
    /// One domain's listing entry through virDomainGetInfo (memory in KiB, CPU time in ns), which every driver
    /// implements; use <see cref="ListDomains"/> for many domains.
    /// </summary>
    public LibvirtDomainInfo GetInfo(string name)
    {
        using var domain = Lookup(name);
        Check(DomainApi.virDomainGetInfo(domain, out var info), name);
        var (found, uuid) = DomainIdentity.Read(domain.DangerousGetHandle());
        var id = DomainApi.virDomainGetID(domain.DangerousGetHandle());
        Check(DomainApi.virDomainGetState(domain, out _, out var reason, 0), name);
        return new LibvirtDomainInfo(
            found,
            uuid,
            id == uint.MaxValue ? null : (int)id,
            new LibvirtDomainStatus((LibvirtDomainState)info.State, reason),
            info.Memory.Value,
            info.MaxMemory.Value,
            info.VirtualCpuCount,
            info.CpuTime);
    }
}
