using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.State;

/// <summary>One folder per VM under the state root; vm.json holds its <see cref="VmSpec"/>.</summary>
public sealed partial class VmStore
{
    public VmStore(StatePaths paths) => Paths = paths;

    public StatePaths Paths { get; }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    /// <summary>1 to 63 letters, digits, '.', '_' or '-', not starting with '.' or '-': a safe folder and file name.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Throws InvalidVmName unless <see cref="IsValidName"/>.</summary>
    public static void ValidateName(string? name)
    {
        if (!IsValidName(name))
        {
            throw HeadlessVmErrors.InvalidVmName(name);
        }
    }

    /// <summary>
    /// Holds the store's lock while VMs are created or names and ports are allocated, so that two
    /// processes never take the same name or VNC display. Released when disposed.
    /// </summary>
    public IDisposable Lock(CancellationToken cancellationToken = default) => FileLock.Acquire(Paths.LockFile, cancellationToken);

    public bool Exists(string name) => File.Exists(Paths.ForVm(name).SpecFile);

    /// <summary>The VM's record, or null when there is none; VmRecordDamaged when it cannot be read as this VM's.</summary>
    public VmSpec? Find(string name)
    {
        var read = Read(name);
        return read.Damaged ? throw HeadlessVmErrors.VmRecordDamaged(name, Paths.ForVm(name).SpecFile, read.Damage!) : read.Value;
    }

    /// <summary>The VM's record as the defensive reader sees it: missing, damaged (with why), or found.</summary>
    public RecordRead<VmSpec> Read(string name) =>
        IsValidName(name) ? RecordFiles.ReadJson<VmSpec>(Paths.ForVm(name).SpecFile, spec => Check(name, spec)) : RecordRead<VmSpec>.None;

    /// <summary>What is wrong with a record that parsed, for the VM whose folder holds it; null when it is sound.</summary>
    private static string? Check(string name, VmSpec spec)
    {
        if (spec.Name != name)
        {
            return $"it names VM '{spec.Name}', not '{name}'";
        }

        if (spec.Disks is null || spec.PortForwards is null || spec.ExtraArguments is null
            || spec.Disks.Any(d => d is null || string.IsNullOrEmpty(d.Path) || string.IsNullOrEmpty(d.Format))
            || spec.PortForwards.Any(p => p is null) || spec.ExtraArguments.Any(a => a is null)
            || string.IsNullOrEmpty(spec.Architecture) || string.IsNullOrEmpty(spec.ListenAddress))
        {
            return "it lacks fields every VM has (its disks, port forwards, architecture or listen address)";
        }

        return spec.MemoryMB <= 0 || spec.ProcessorCount <= 0 || spec.VncDisplay is < 0 or > 65535 - VmSpec.VncBasePort
            ? "its memory, processor count or VNC display is out of range"
            : null;
    }

    public VmSpec Get(string name) => Find(name) ?? throw HeadlessVmErrors.VmNotFound(name);

    /// <summary>
    /// The names of the VMs in the store, ordered; no record is read. A store that is not there has none;
    /// one whose folder (or a folder above it) is a file is a <see cref="StateWriteException"/>
    /// (StateFolderUnusable), so that a mistyped HEADLESSVM_HOME is not taken for an empty store.
    /// </summary>
    public IReadOnlyList<string> Names()
    {
        if (!Directory.Exists(Paths.Root))
        {
            for (var p = Paths.Root; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
            {
                if (File.Exists(p))
                {
                    throw new StateWriteException(Paths.Root, new IOException($"'{p}' is a file, not a folder."), folder: true);
                }
            }
        }

        var names = Paths.VmFolderNames().Where(IsValidName).ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>All VMs in the store whose record is sound, ordered by name (a damaged one is reported where it is named).</summary>
    public IReadOnlyList<VmSpec> List() => Names().Select(n => Read(n).Value).OfType<VmSpec>().ToArray();

    public void Save(VmSpec spec)
    {
        ValidateName(spec.Name);
        JsonRecords.Write(Paths.ForVm(spec.Name).SpecFile, spec, durable: true);
    }

    /// <summary>Deletes the VM's folder if it can; for undoing a creation that failed (the failure is the one to report).</summary>
    public void TryDelete(string name)
    {
        try
        {
            Delete(name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Deletes the VM's folder: only files this module created live there.</summary>
    public void Delete(string name)
    {
        ValidateName(name);
        var folder = Paths.ForVm(name).Folder;
        if (Directory.Exists(folder))
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StateWriteException(folder, ex);
            }
        }
    }
}
