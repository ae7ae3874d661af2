namespace HeadlessVm.Core.Model;

/// <summary>A VM as the pipeline sees it: its specification joined with its live state.</summary>
public sealed class HeadlessVm
{
    internal HeadlessVm(VmSpec spec, VmState state, int? processId, AcceleratorKind accelerator, string cpu, TimeSpan? uptime, string path)
    {
        Spec = spec;
        State = state;
        ProcessId = processId;
        Accelerator = accelerator;
        Cpu = cpu;
        Uptime = uptime;
        Path = path;
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
    public TimeSpan? Uptime { get; }

    /// <summary>The browser console's URL while a bridge runs for this VM.</summary>
    public Uri? ConsoleUrl { get; internal set; }

    /// <summary>The VM's folder in the state store.</summary>
    public string Path { get; }

    public override string ToString() => Name;
}
