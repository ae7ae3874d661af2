using System.Net;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Backends;

/// <summary>
/// The checks of a VM's definition, the same whichever backend keeps the VM and whichever cmdlet
/// (New-HeadlessVm today, Set-HeadlessVm later) changes it. Each check is made here only; the cmdlets
/// carry no range attributes of their own for these values.
/// </summary>
public static partial class VmDraftValidator
{
    public const int LeastMemoryMB = 16;
    public const int MostMemoryMB = 16 * 1024 * 1024;
    public const int MostProcessors = 1024;
    public const string DefaultArchitecture = "x86_64";

    [GeneratedRegex("^([0-9a-f]{2}:){5}[0-9a-f]{2}$")]
    private static partial Regex MacPattern();

    /// <summary>What VmInfo.Cpu shows for a VM whose CPU model is left to the accelerator; read back as "not given".</summary>
    public const string AutoCpu = "(auto)";

    /// <summary>
    /// Reads what the draft's text says: the listen address, each disk's format (stated, or read from the
    /// image by <paramref name="contentFormat"/>, qemu-img info; a name that disagrees is a warning to
    /// <paramref name="host"/>) and the port forwards; null and empty text are "not given". Fails with the
    /// first problem found.
    /// </summary>
    public static VmSpec ToSpec(VmDraft draft, Func<string, string> contentFormat, IVmHost? host = null)
    {
        var listenAddress = NullIfBlank(draft.ListenAddress)?.Trim() ?? "127.0.0.1";
        if (!IPAddress.TryParse(listenAddress, out _))
        {
            throw HeadlessVmErrors.InvalidListenAddress(draft.Name, listenAddress);
        }

        var diskPaths = draft.DiskPaths.Where(p => !string.IsNullOrWhiteSpace(p)).ToArray();
        var formats = draft.DiskFormats.Where(f => !string.IsNullOrWhiteSpace(f)).ToArray();
        if (formats.Length > 1 && formats.Length != diskPaths.Length)
        {
            throw HeadlessVmErrors.DiskFormatCountMismatch(draft.Name, diskPaths.Length, formats.Length);
        }

        var warn = host is null ? (Action<string>)(_ => { }) : host.Warning;
        var disks = diskPaths.Select((path, i) =>
            new DiskSpec(path, DiskFormats.Resolve(path, formats.Length == 0 ? null : formats[formats.Length == 1 ? 0 : i], contentFormat, warn))).ToArray();
        var forwards = draft.PortForwards.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => PortForward.Parse(p, vm: draft.Name)).ToArray();
        return new VmSpec
        {
            Name = draft.Name,
            MemoryMB = draft.MemoryMB ?? VmDraft.DefaultMemoryMB,
            ProcessorCount = draft.ProcessorCount ?? 1,
            Cpu = NullIfBlank(draft.Cpu) is { } cpu && cpu.Trim() != AutoCpu ? cpu.Trim() : null,
            Architecture = NullIfBlank(draft.Architecture)?.Trim() ?? DefaultArchitecture,
            Accelerator = draft.Accelerator ?? AcceleratorKind.Auto,
            IsoPath = NullIfBlank(draft.IsoPath),
            Disks = disks,
            KernelPath = NullIfBlank(draft.KernelPath),
            InitrdPath = NullIfBlank(draft.InitrdPath),
            KernelArgument = string.IsNullOrEmpty(draft.KernelArgument) ? null : draft.KernelArgument,
            BootOrder = NullIfBlank(draft.BootOrder),
            ListenAddress = listenAddress,
            Network = draft.Network ?? NetworkMode.User,
            PortForwards = forwards,
            MacAddress = NullIfBlank(draft.MacAddress),
            // An empty cell is no argument, not an empty one (which qemu would take for a file name).
            ExtraArguments = draft.ExtraArguments.Where(a => !string.IsNullOrEmpty(a)).ToArray(),
            CloudInit = draft.CloudInit is null ? null : CloudInit.CloudInitSeeds.Resolve(draft.Name, draft.CloudInit),
        };
    }

    /// <summary>
    /// Checks a definition before anything is written: name, sizes, architecture, boot settings, port
    /// forwards, MAC; the ISO image, kernel and initrd, files of this machine, must be there and readable
    /// (BootFileNotFound, BootFileUnreadable), and the ISO image must be one (NotAnIsoImage). Only the files that
    /// differ from <paramref name="before"/> (the VM as it was, for a change) are checked: a VM whose kernel has gone
    /// since can still be renamed. Returns it with absolute paths and a normalised MAC address.
    /// </summary>
    public static VmSpec Validate(VmSpec draft, VmSpec? before = null)
    {
        draft = Check(draft);
        CheckBootFile(draft.Name, "-IsoPath", draft.IsoPath, before?.IsoPath);
        CheckBootFile(draft.Name, "-KernelPath", draft.KernelPath, before?.KernelPath);
        CheckBootFile(draft.Name, "-InitrdPath", draft.InitrdPath, before?.InitrdPath);
        if (draft.IsoPath is { } iso && iso != before?.IsoPath && !IsoImages.LooksLikeIso(iso))
        {
            throw HeadlessVmErrors.NotAnIsoImage(draft.Name, Path.GetFullPath(iso));
        }

        return draft with
        {
            IsoPath = draft.IsoPath is null ? null : Path.GetFullPath(draft.IsoPath),
            KernelPath = draft.KernelPath is null ? null : Path.GetFullPath(draft.KernelPath),
            InitrdPath = draft.InitrdPath is null ? null : Path.GetFullPath(draft.InitrdPath),
            Disks = draft.Disks.Select(d => d with { Path = Path.GetFullPath(d.Path) }).ToArray(),
        };
    }

    /// <summary>
    /// A file qemu reads at start (ISO, kernel, initrd), named by <paramref name="parameter"/>: found now rather than as
    /// qemu's QemuFileNotFound at the next start. Unchanged from <paramref name="before"/>: not checked again.
    /// </summary>
    private static void CheckBootFile(string name, string parameter, string? path, string? before)
    {
        if (path is null || path == before)
        {
            return;
        }

        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw HeadlessVmErrors.BootFileNotFound(name, parameter, full, isFolder: Directory.Exists(full));
        }

        try
        {
            using var _ = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw HeadlessVmErrors.BootFileUnreadable(name, parameter, full, ex);
        }
    }

    /// <summary>
    /// The checks of <see cref="Validate"/> without resolving paths on this machine: for a VM on another host,
    /// whose paths are that host's. Returns it with a normalised MAC address.
    /// </summary>
    public static VmSpec Check(VmSpec draft)
    {
        VmStore.ValidateName(draft.Name);
        if (draft.Network == NetworkMode.Other)
        {
            throw HeadlessVmErrors.InvalidNetworkMode(draft.Name);
        }

        if (draft.MemoryMB is < LeastMemoryMB or > MostMemoryMB)
        {
            throw HeadlessVmErrors.InvalidMemorySize(draft.Name, draft.MemoryMB, LeastMemoryMB, MostMemoryMB);
        }

        if (draft.ProcessorCount is < 1 or > MostProcessors)
        {
            throw HeadlessVmErrors.InvalidProcessorCount(draft.Name, draft.ProcessorCount, MostProcessors);
        }

        if (string.IsNullOrWhiteSpace(draft.Architecture) || !draft.Architecture.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw HeadlessVmErrors.InvalidArchitecture(draft.Name, draft.Architecture);
        }

        if (draft.InitrdPath is not null && draft.KernelPath is null)
        {
            throw HeadlessVmErrors.InitrdWithoutKernel(draft.Name);
        }

        if (draft.BootOrder is not null && (draft.BootOrder.Length == 0 || draft.BootOrder.Any(c => c is not ('a' or 'b' or 'c' or 'd' or 'n'))))
        {
            throw HeadlessVmErrors.InvalidBootOrder(draft.Name, draft.BootOrder);
        }

        if (draft.Network == NetworkMode.None && draft.PortForwards.Count > 0)
        {
            throw HeadlessVmErrors.PortForwardWithoutNetwork(draft.Name);
        }

        var dup = draft.PortForwards.GroupBy(p => p.HostPort).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
        {
            throw HeadlessVmErrors.DuplicatePortForward(draft.Name, dup.Key);
        }

        return draft with { MacAddress = draft.MacAddress is null ? null : NormaliseMac(draft.Name, draft.MacAddress) };
    }

    /// <summary>
    /// The VM <paramref name="spec"/> with <paramref name="change"/> applied, checked as a new VM's definition is
    /// (<see cref="Validate"/>): added disks take their format from their content (<paramref name="contentFormat"/>), a
    /// disk to remove that the VM does not have is DiskNotAttached, one to add that it has already DiskAlreadyAttached.
    /// <paramref name="local"/> false checks as <see cref="Check"/> does, for a VM on another host whose files are not this machine's.
    /// </summary>
    public static VmSpec Apply(VmSpec spec, VmChange change, Func<string, string> contentFormat, IVmHost? host = null, bool local = true)
    {
        var warn = host is null ? (Action<string>)(_ => { }) : host.Warning;
        var disks = spec.Disks.ToList();
        foreach (var path in change.RemoveDiskPaths.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => Path.GetFullPath(p)))
        {
            if (disks.RemoveAll(d => d.Path == path) == 0)
            {
                throw HeadlessVmErrors.DiskNotAttached(spec.Name, path);
            }
        }

        foreach (var path in change.AddDiskPaths.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => Path.GetFullPath(p)))
        {
            if (disks.Any(d => d.Path == path))
            {
                throw HeadlessVmErrors.DiskAlreadyAttached(spec.Name, path);
            }

            disks.Add(new DiskSpec(path, DiskFormats.Resolve(path, null, contentFormat, warn)));
        }

        var name = NullIfBlank(change.NewName)?.Trim() ?? spec.Name;
        var next = spec with
        {
            Name = name,
            MemoryMB = change.MemoryMB ?? spec.MemoryMB,
            ProcessorCount = change.ProcessorCount ?? spec.ProcessorCount,
            Cpu = NullIfBlank(change.Cpu) is { } cpu ? (cpu.Trim() == AutoCpu ? null : cpu.Trim()) : spec.Cpu,
            KernelArgument = string.IsNullOrEmpty(change.KernelArgument) ? spec.KernelArgument : change.KernelArgument,
            BootOrder = NullIfBlank(change.BootOrder) ?? spec.BootOrder,
            PortForwards = change.PortForwards is null ? spec.PortForwards
                : change.PortForwards.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => PortForward.Parse(p, vm: spec.Name)).ToArray(),
            MacAddress = NullIfBlank(change.MacAddress) ?? spec.MacAddress,
            // A display or MAC given here is the user's choice from now on (never moved, asked for again by a recreated VM).
            MacAddressGenerated = NullIfBlank(change.MacAddress) is null && spec.MacAddressGenerated,
            IsoPath = change.IsoPath is null ? spec.IsoPath : NullIfBlank(change.IsoPath),
            Disks = disks,
            VncDisplay = change.VncDisplay ?? spec.VncDisplay,
            VncDisplayPicked = change.VncDisplay is null && spec.VncDisplayPicked,
            CloudInit = ChangeCloudInit(spec, name, change.CloudInit),
        };
        return local ? Validate(next, spec) : Check(next);
    }

    /// <summary>
    /// The VM's cloud-init data after <paramref name="change"/> (null: unchanged) under the name <paramref name="name"/>.
    /// What the change names replaces the VM's, the rest stays; but a whole -UserData replaces the user and keys the
    /// module would write, and an empty one drops the VM's user-data (as -IsoPath '' ejects), so that -UserName and
    /// -SshPublicKey can take its place. A new name is the guest's host name when none was given: the data is then new
    /// too (a new instance id, so that cloud-init applies it).
    /// </summary>
    private static CloudInitConfig? ChangeCloudInit(VmSpec spec, string name, CloudInit.CloudInitDraft? change)
    {
        if (change is null)
        {
            return spec.CloudInit is { HostName: null } renamed && name != spec.Name
                ? renamed with { InstanceId = CloudInit.CloudInitSeeds.NewInstanceId(name) }
                : spec.CloudInit;
        }

        var old = spec.CloudInit;
        var wholeUserData = change.UserData is { Length: > 0 };
        return CloudInit.CloudInitSeeds.Resolve(name, new CloudInit.CloudInitDraft
        {
            UserName = wholeUserData ? change.UserName : change.UserName ?? old?.UserName,
            HostName = change.HostName ?? old?.HostName,
            SshPublicKeys = change.SshPublicKeys.Count > 0 || wholeUserData ? change.SshPublicKeys : old?.SshPublicKeys ?? Array.Empty<string>(),
            UserData = change.UserData is null ? old?.UserData : NullIfBlank(change.UserData),
            NetworkConfig = change.NetworkConfig ?? old?.NetworkConfig,
        });
    }

    /// <summary>"52-54-00-AB-CD-EF" as "52:54:00:ab:cd:ef"; InvalidMacAddress for anything but a unicast MAC.</summary>
    public static string NormaliseMac(string name, string mac)
    {
        var normal = mac.Trim().Replace('-', ':').ToLowerInvariant();
        if (!MacPattern().IsMatch(normal) || (Convert.ToInt32(normal[..2], 16) & 1) == 1)
        {
            throw HeadlessVmErrors.InvalidMacAddress(name, mac);
        }

        return normal;
    }

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
