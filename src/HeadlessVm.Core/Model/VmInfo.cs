namespace HeadlessVm.Core.Model;

/// <summary>
/// A VM as the pipeline sees it: its specification joined with its live state, complete when built
/// (by a backend's inspection) and never changed afterwards.
/// </summary>
public sealed class VmInfo
{
    internal VmInfo(VmSpec spec, VmState state, int? processId, AcceleratorKind accelerator, string cpu, TimeSpan? uptime, string path, Uri? consoleUrl)
    {
        Spec = spec;
        State = state;
        ProcessId = processId;
        Accelerator = accelerator;
        Cpu = cpu;
        Uptime = uptime;
        StatePath = path;
        ConsoleUrl = consoleUrl;
    }

    internal VmSpec Spec { get; }

    public string Name => Spec.Name;
    public VmState State { get; }
    public int? ProcessId { get; }
    public int MemoryMB => Spec.MemoryMB;
    public int ProcessorCount => Spec.ProcessorCount;
    public string Cpu { get; }
    public string Architecture => Spec.Architecture;

    /// <summary>The accelerator in use while running; the requested one otherwise.</summary>
    public AcceleratorKind Accelerator { get; }

    public string VncAddress => Spec.ListenAddress;
    public int VncDisplay => Spec.VncDisplay;
    public int VncPort => Spec.VncPort;
    public string? IsoPath => Spec.IsoPath;
    public string[] DiskPath => Spec.Disks.Select(d => d.Path).ToArray();
    public string? KernelPath => Spec.KernelPath;
    public NetworkMode Network => Spec.Network;
    public string[] PortForward => Spec.PortForwards.Select(p => p.ToString()).ToArray();
    public string? MacAddress => Spec.MacAddress;
    public DateTimeOffset Created => Spec.Created;

    /// <summary>How long qemu has run, in whole seconds; null when it is not running.</summary>
    public TimeSpan? Uptime { get; }

    /// <summary>The browser console's URL (with its token and VNC password) while a bridge serves this VM; null otherwise.</summary>
    public Uri? ConsoleUrl { get; }

    /// <summary>
    /// The VM's folder in the state store. Not "Path": piped to a cmdlet, a property binds to the parameter
    /// of its name, and Save-VmScreenshot's -Path (which takes per-VM values) would get the VM's folder.
    /// </summary>
    public string StatePath { get; }

    public override string ToString() => Name;
}
