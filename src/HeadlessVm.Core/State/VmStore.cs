using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.State;

/// <summary>One folder per VM under the state root; vm.json holds its <see cref="VmSpec"/>.</summary>
public sealed partial class VmStore
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public VmStore(StatePaths paths) => Paths = paths;

    public StatePaths Paths { get; }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    public static void ValidateName(string? name)
    {
        if (!IsValidName(name))
        {
            throw new HeadlessVmException("InvalidVmName", FailureKind.InvalidArgument, name ?? string.Empty,
                $"'{name}' is not a valid VM name. Use 1 to 63 letters, digits, '.', '_' or '-', not starting with '.' or '-'.");
        }
    }

    /// <summary>
    /// Holds the store's lock while VMs are created or names and ports are allocated, so that two
    /// processes never take the same name or VNC display. Released when disposed.
    /// </summary>
    public IDisposable Lock(CancellationToken cancellationToken = default) => LockFile(Paths.LockFile, cancellationToken);

    /// <summary>
    /// An exclusive lock on a file of the store, across processes. The VMs and the console bridges have
    /// a lock each, so starting a bridge never waits for a VM to start; whoever holds both takes the VM
    /// lock first.
    /// </summary>
    public IDisposable LockFile(string path, CancellationToken cancellationToken = default)
    {
        PrivateFiles.EnsureFolder(Paths.Root);
        while (true)
        {
            try
            {
                // On Linux .NET implements FileShare.None with an advisory flock, which other
                // processes running this module honour.
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException)
            {
                // Short waits: a lock is held for milliseconds.
                if (cancellationToken.WaitHandle.WaitOne(5))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
    }

    public bool Exists(string name) => File.Exists(Paths.ForVm(name).SpecFile);

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
            return JsonSerializer.Deserialize<VmSpec>(File.ReadAllText(file), Json);
        }
        catch (JsonException ex)
        {
            throw new HeadlessVmException("CorruptVmRecord", FailureKind.InvalidOperation, name,
                $"The record of VM '{name}' ({file}) cannot be read: {ex.Message}", ex);
        }
    }

    public VmSpec Get(string name) => Find(name) ?? throw NotFound(name);

    public static HeadlessVmException NotFound(string name) => new("VmNotFound", FailureKind.ObjectNotFound, name,
        $"No VM named '{name}' exists. Get-HeadlessVm lists the VMs there are.");

    /// <summary>All VMs in the store, ordered by name.</summary>
    public IReadOnlyList<VmSpec> List()
    {
        if (!Directory.Exists(Paths.VmsFolder))
        {
            return Array.Empty<VmSpec>();
        }

        var result = new List<VmSpec>();
        foreach (var folder in Directory.EnumerateDirectories(Paths.VmsFolder))
        {
            var name = Path.GetFileName(folder);
            var spec = IsValidName(name) && File.Exists(Path.Combine(folder, "vm.json")) ? Find(name) : null;
            if (spec is not null)
            {
                result.Add(spec);
            }
        }

        result.Sort((a, b) => StringComparer.Ordinal.Compare(a.Name, b.Name));
        return result;
    }

    public void Save(VmSpec spec)
    {
        ValidateName(spec.Name);
        PrivateFiles.WriteAllText(Paths.ForVm(spec.Name).SpecFile, JsonSerializer.Serialize(spec, Json));
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
