using System.Text.Json;
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

    /// <summary>The VM's record, or null when there is none; CorruptVmRecord when it cannot be read.</summary>
    public VmSpec? Find(string name)
    {
        if (!IsValidName(name))
        {
            return null;
        }

        var file = Paths.ForVm(name).SpecFile;
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<VmSpec>(File.ReadAllText(file), JsonRecords.Options);
        }
        catch (JsonException ex)
        {
            throw HeadlessVmErrors.CorruptVmRecord(name, file, ex);
        }
    }

    public VmSpec Get(string name) => Find(name) ?? throw HeadlessVmErrors.VmNotFound(name);

    /// <summary>The names of the VMs in the store, ordered; no record is read.</summary>
    public IReadOnlyList<string> Names()
    {
        var names = Paths.VmFolderNames().Where(IsValidName).ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>All VMs in the store, ordered by name.</summary>
    public IReadOnlyList<VmSpec> List() => Names().Select(Find).OfType<VmSpec>().ToArray();

    public void Save(VmSpec spec)
    {
        ValidateName(spec.Name);
        JsonRecords.Write(Paths.ForVm(spec.Name).SpecFile, spec, durable: true);
    }

    /// <summary>Deletes the VM's folder: only files this module created live there.</summary>
    public void Delete(string name)
    {
        ValidateName(name);
        var folder = Paths.ForVm(name).Folder;
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
