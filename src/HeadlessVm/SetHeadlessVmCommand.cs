using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Changes VMs' settings, all or nothing, with New-HeadlessVm's checks (the core's VmDraftValidator, shared). A
/// running VM takes a new ISO (or none) and a new list of port forwards live; every other change needs it stopped
/// (VmMustBeStopped, nothing changed). The change parameters do not bind from the pipeline: a piped VM names the VM
/// only, so that its own printed settings never count as changes. -NewName, which no VM prints, binds by property name
/// so that a delay-bind script block gives each piped VM its own name.
/// </summary>
[Cmdlet(VerbsCommon.Set, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VmInfo))]
public sealed class SetHeadlessVmCommand : VmActionCmdlet
{
    /// <summary>Memory in MiB.</summary>
    [Parameter]
    [InvariantNumber(EmptyIsNotGiven = false)]
    public int? MemoryMB { get; set; }

    [Parameter]
    [InvariantNumber(EmptyIsNotGiven = false)]
    public int? ProcessorCount { get; set; }

    /// <summary>qemu's CPU model; '(auto)' for the accelerator's default.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(CpuModelCompleter))]
    public string? Cpu { get; set; }

    [Parameter]
    public string? KernelArgument { get; set; }

    [Parameter]
    public string? BootOrder { get; set; }

    /// <summary>The VM's forwards from now on, as New-HeadlessVm -PortForward takes them; @() for none.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? PortForward { get; set; }

    [Parameter]
    public string? MacAddress { get; set; }

    /// <summary>The ISO to insert; '' ejects the VM's ISO.</summary>
    [Parameter]
    [AllowEmptyString]
    public string? IsoPath { get; set; }

    [Parameter]
    public string[]? AddDiskPath { get; set; }

    [Parameter]
    public string[]? RemoveDiskPath { get; set; }

    [Parameter]
    [InvariantNumber(EmptyIsNotGiven = false)]
    public int? VncDisplay { get; set; }

    /// <summary>OpenSSH public keys for cloud-init (key text or .pub file), replacing the VM's; the seed is made anew.</summary>
    [Parameter]
    public string[]? SshPublicKey { get; set; }

    /// <summary>The user cloud-init creates; the seed is made anew.</summary>
    [Parameter]
    public string? UserName { get; set; }

    /// <summary>The guest's host name for cloud-init; the seed is made anew.</summary>
    [Parameter]
    public string? HostName { get; set; }

    /// <summary>
    /// The whole cloud-init user-data (text or file), in place of the user and keys the module writes; '' drops the VM's
    /// user-data (as -IsoPath '' ejects), so that -UserName and -SshPublicKey can take its place. The seed is made anew.
    /// </summary>
    [Parameter]
    [AllowEmptyString]
    public string? UserData { get; set; }

    /// <summary>cloud-init's network-config (text or file); the seed is made anew.</summary>
    [Parameter]
    public string? NetworkConfig { get; set; }

    /// <summary>The VM's new name (a stopped VM only); a script block gives each piped VM its own ({ "$($_.Name)-old" }).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    protected override string Action => "Change VM settings: " + string.Join(", ",
        MyInvocation.BoundParameters.Keys.Where(k => k is not (nameof(Name) or nameof(PassThru) or nameof(ComputerName) or nameof(ConnectionUri))
            && !CommonParameters.Contains(k) && !OptionalCommonParameters.Contains(k)));

    protected override VmInfo? Act(IVmBackend vms, string name) => vms.Set(name, new VmChange
    {
        MemoryMB = MemoryMB,
        ProcessorCount = ProcessorCount,
        Cpu = Cpu,
        KernelArgument = KernelArgument,
        BootOrder = BootOrder,
        PortForwards = PortForward,
        MacAddress = MacAddress,
        // '' is "eject", which ResolvePath would read as "not given".
        IsoPath = IsoPath is null ? null : IsoPath.Length == 0 ? string.Empty : ResolvePath(IsoPath),
        AddDiskPaths = (AddDiskPath ?? Array.Empty<string>()).Select(ResolvePath).OfType<string>().ToArray(),
        RemoveDiskPaths = (RemoveDiskPath ?? Array.Empty<string>()).Select(ResolvePath).OfType<string>().ToArray(),
        VncDisplay = VncDisplay,
        NewName = NewName,
        CloudInit = CloudInitDraftOf(false, SshPublicKey, UserName, HostName, UserData, NetworkConfig),
    }, CancellationToken);
}
