using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Creates a VM's record and starts it (unless -NoStart), in the folder store or, with -ComputerName or
/// -ConnectionUri, as a libvirt domain on that one host. Every parameter binds by property name, and takes
/// values the way a CSV cell or a JSON property holds them: an empty cell is "not given", numbers are read
/// invariantly (<see cref="InvariantNumberAttribute"/>), switches from yes/no text (<see cref="YesNoAttribute"/>),
/// lists from ';'-joined text (<see cref="TextValueAttribute"/>), and every property Get-HeadlessVm prints is
/// accepted back by the parameter of its name. The values are checked by the core (VmDraftValidator), the same
/// for every backend, not by attributes here. Paths are resolved against the current location only for a host
/// on this machine; another host's paths are its own.
/// </summary>
[Cmdlet(VerbsCommon.New, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VmInfo))]
public sealed class NewHeadlessVmCommand : VmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>Memory in MiB; 1024 when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [InvariantNumber]
    public int? MemoryMB { get; set; }

    /// <summary>Virtual CPUs; 1 when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [InvariantNumber]
    public int? ProcessorCount { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CpuModelCompleter))]
    [TextValue]
    public string? Cpu { get; set; }

    /// <summary>x86_64 when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ArchitectureCompleter))]
    [TextValue]
    public string? Architecture { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? IsoPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue(List = true)]
    public string[]? DiskPath { get; set; }

    /// <summary>The format of each disk (one for all, or one per -DiskPath); read from each image when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DiskFormatCompleter))]
    [TextValue(List = true)]
    public string[]? DiskFormat { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? KernelPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? InitrdPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? KernelArgument { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? BootOrder { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [InvariantNumber]
    public int? VncDisplay { get; set; }

    /// <summary>Where qemu's VNC server listens; 127.0.0.1 when not given. VncAddress, as Get-HeadlessVm prints it, is an alias.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("VncAddress")]
    [TextValue]
    public string? ListenAddress { get; set; }

    /// <summary>Auto when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public AcceleratorKind? Accelerator { get; set; }

    /// <summary>User when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public NetworkMode? Network { get; set; }

    /// <summary>
    /// Host port to guest port over TCP, e.g. '2222:22'; 'ADDRESS:HOST:GUEST' to listen elsewhere than
    /// 127.0.0.1; the printed form '127.0.0.1:2222->22' too.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue(List = true)]
    public string[]? PortForward { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? MacAddress { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue(List = true)]
    public string[]? ExtraArgument { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [YesNo]
    public SwitchParameter NoStart { get; set; }

    /// <summary>Start qemu with the guest's CPUs stopped (qemu -S); Resume-HeadlessVm runs them.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [YesNo]
    public SwitchParameter Paused { get; set; }

    /// <summary>Gives the VM a cloud-init NoCloud seed (a CD-ROM labelled cidata); implied by any of the parameters below.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [YesNo]
    public SwitchParameter CloudInit { get; set; }

    /// <summary>OpenSSH public keys for the guest's user: the key text, or the path of a .pub file.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue(List = true)]
    public string[]? SshPublicKey { get; set; }

    /// <summary>The user cloud-init creates (passwordless sudo, key login only); the image's default user when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? UserName { get; set; }

    /// <summary>The guest's host name; the VM's name when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? HostName { get; set; }

    /// <summary>The whole user-data (#cloud-config or a script): the text, or the path of a file.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? UserData { get; set; }

    /// <summary>cloud-init's network-config (version 1 or 2): the text, or the path of a file.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? NetworkConfig { get; set; }

    protected override void ProcessRecord()
    {
        Try(Name, () =>
        {
            if (NoStart && Paused)
            {
                throw HeadlessVmErrors.NoStartWithPaused(Name);
            }

            var targets = Context.Targets.Resolve(ComputerName, ConnectionUri);
            if (targets.Count != 1)
            {
                throw HeadlessVmErrors.SingleHostRequired(Name, string.Join(", ", targets.Select(t => t.ComputerName)));
            }

            var host = targets[0];
            // A store VM's disk format is read from the image. A libvirt host's images are libvirt's (on another
            // machine they cannot be read at all, and one named may not exist yet): their names say it.
            Func<string, string> contentFormat = host.IsLocalStore
                ? path => Context.Disks.FormatOf(path, CancellationToken)
                : path => Core.Qemu.DiskFormats.FromExtension(path) ?? "raw";
            var draft = VmDraftValidator.ToSpec(Draft(host.IsThisMachine), contentFormat, this);
            var action = NoStart ? "Create VM record" : $"Create and start VM{(Paused ? " paused" : string.Empty)} ({draft.MemoryMB} MB, {draft.ProcessorCount} CPU, {draft.Architecture})";
            if (!ShouldProcess(Describe(new VmOnHost(host, Name)), action))
            {
                return;
            }

            WriteObject(Backend(host).Create(draft, VncDisplay, start: !NoStart, Paused, CancellationToken));
        });
    }

    /// <summary>The parameters as given, with paths resolved against the current location when the host is this machine.</summary>
    private VmDraft Draft(bool resolvePaths)
    {
        string? Resolve(string? path) => resolvePaths ? ResolvePath(path) : string.IsNullOrWhiteSpace(path) ? null : path;
        return new()
        {
            Name = Name,
            MemoryMB = MemoryMB,
            ProcessorCount = ProcessorCount,
            Cpu = Cpu,
            Architecture = Architecture,
            Accelerator = Accelerator,
            IsoPath = Resolve(IsoPath),
            DiskPaths = (DiskPath ?? Array.Empty<string>()).Select(Resolve).OfType<string>().ToArray(),
            DiskFormats = DiskFormat ?? Array.Empty<string>(),
            KernelPath = Resolve(KernelPath),
            InitrdPath = Resolve(InitrdPath),
            KernelArgument = KernelArgument,
            BootOrder = BootOrder,
            ListenAddress = ListenAddress,
            Network = Network,
            PortForwards = PortForward ?? Array.Empty<string>(),
            MacAddress = MacAddress,
            ExtraArguments = ExtraArgument ?? Array.Empty<string>(),
            CloudInit = CloudInitDraft(resolvePaths),
        };
    }

    private Core.CloudInit.CloudInitDraft? CloudInitDraft(bool resolvePaths) =>
        CloudInitDraftOf(CloudInit, SshPublicKey, UserName, HostName, UserData, NetworkConfig, resolvePaths);
}
