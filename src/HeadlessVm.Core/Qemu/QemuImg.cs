using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Qemu;

/// <summary>
/// Disk images through qemu-img: argv builders (pure, tested as lists) and the runs that use them.
/// qemu-img's own message is what a user sees when it refuses.
/// </summary>
public static class QemuImg
{
    public const string Program = "qemu-img";

    /// <summary>The formats New-HeadlessVmDisk offers; qemu-img can create each of them.</summary>
    public static readonly IReadOnlyList<string> CreatableFormats = new[] { "qcow2", "raw", "vpc", "vhdx", "vmdk", "vdi", "qed" };

    /// <summary><c>qemu-img create -f FMT [-b BACKING -F BACKINGFMT] PATH [SIZE]</c>; SIZE in bytes, optional with a backing file.</summary>
    public static NativeCommand CreateCommand(string path, string format, long? sizeBytes, string? backingPath = null, string? backingFormat = null)
    {
        var a = new List<string> { "create", "-f", format };
        if (backingPath is not null)
        {
            // -F always: without it qemu-img probes the backing file's format, which qemu refuses to
            // trust for raw images (and newer qemu-img refuses outright).
            a.AddRange(new[] { "-b", backingPath, "-F", backingFormat ?? throw new ArgumentNullException(nameof(backingFormat)) });
        }

        // A path starting with '-' would be read as an option.
        a.Add(path.StartsWith('-') ? "./" + path : path);
        if (sizeBytes is not null)
        {
            a.Add(sizeBytes.Value.ToString(CultureInfo.InvariantCulture));
        }

        return new NativeCommand(Program, a);
    }

    /// <summary>
    /// <c>qemu-img info --output=json -U PATH</c>. -U (force share) lets it read an image that a running
    /// VM holds locked; info only reads the header.
    /// </summary>
    public static NativeCommand InfoCommand(string path) =>
        new(Program, new[] { "info", "--output=json", "-U", path.StartsWith('-') ? "./" + path : path });

    /// <summary>Creates an image and returns what qemu-img then says about it.</summary>
    public static VmDisk Create(string path, string? format, long? sizeBytes, string? backingPath, bool force, IVmHost? host = null, CancellationToken cancellationToken = default)
    {
        host ??= NullVmHost.Instance;
        path = Path.GetFullPath(path);
        var fmt = ResolveCreateFormat(path, format);
        if (sizeBytes is < 0)
        {
            throw new HeadlessVmException("InvalidDiskSize", FailureKind.InvalidArgument, path, $"A disk cannot have a negative size ({sizeBytes} bytes).");
        }

        string? backingFormat = null;
        if (backingPath is not null)
        {
            backingPath = Path.GetFullPath(backingPath);
            if (string.Equals(backingPath, path, StringComparison.Ordinal))
            {
                throw new HeadlessVmException("DiskIsOwnBacking", FailureKind.InvalidArgument, path,
                    $"'{path}' cannot be its own backing file.");
            }

            backingFormat = GetInfo(backingPath, host, cancellationToken).Format;
        }
        else if (sizeBytes is null)
        {
            throw new HeadlessVmException("DiskSizeRequired", FailureKind.InvalidArgument, path,
                $"Give a size for the new disk '{path}' (-SizeGB), or a -BackingPath whose size it takes.");
        }

        var existed = File.Exists(path) || Directory.Exists(path);
        if (existed && !force)
        {
            throw new HeadlessVmException("DiskExists", FailureKind.ResourceExists, path,
                $"'{path}' already exists. Use -Force to overwrite it (its contents are lost).");
        }

        var command = CreateCommand(path, fmt, sizeBytes, backingPath, backingFormat);
        host.Verbose("Running: " + command.Display);
        var result = NativeRunner.Run(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            // qemu-img creates the file before it checks some limits (vpc's maximum size), and leaves
            // it behind empty; remove what this call made, never a file that was there before.
            if (!existed && File.Exists(path))
            {
                File.Delete(path);
            }

            throw Failure("QemuImgCreateFailed", FailureKind.InvalidArgument, path, $"qemu-img could not create '{path}'", command, result);
        }

        return GetInfo(path, host, cancellationToken);
    }

    /// <summary>Reads an image's header through qemu-img info.</summary>
    public static VmDisk GetInfo(string path, IVmHost? host = null, CancellationToken cancellationToken = default)
    {
        host ??= NullVmHost.Instance;
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new HeadlessVmException("DiskNotFound", FailureKind.ObjectNotFound, path,
                Directory.Exists(path) ? $"'{path}' is a folder, not a disk image." : $"Disk image '{path}' does not exist.");
        }

        var command = InfoCommand(path);
        host.Debug("Running: " + command.Display);
        var result = NativeRunner.Run(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw Failure("QemuImgInfoFailed", FailureKind.InvalidOperation, path, $"qemu-img could not read '{path}'", command, result);
        }

        return ParseInfo(result.StandardOutput, path);
    }

    /// <summary>Turns qemu-img info's JSON into a <see cref="VmDisk"/>; <paramref name="path"/> is the image's full path.</summary>
    public static VmDisk ParseInfo(string json, string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            throw new HeadlessVmException("QemuImgOutputUnreadable", FailureKind.InvalidOperation, path,
                $"qemu-img info printed something that is not its JSON for '{path}': {ex.Message}", ex);
        }

        var data = root["format-specific"]?["data"] as JsonObject;
        var backing = Str(root, "full-backing-filename") ?? Str(root, "backing-filename");
        if (backing is not null && !Path.IsPathRooted(backing))
        {
            backing = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path) ?? "/", backing));
        }

        return new VmDisk
        {
            Path = path,
            Format = Str(root, "format") ?? "unknown",
            VirtualSize = Long(root, "virtual-size") ?? 0,
            ActualSize = Long(root, "actual-size"),
            BackingPath = backing,
            BackingFormat = Str(root, "backing-filename-format"),
            Dirty = Bool(root, "dirty-flag") ?? false,
            Corrupt = data is null ? null : Bool(data, "corrupt"),
            ClusterSize = Long(root, "cluster-size"),
            Encrypted = Bool(root, "encrypted") ?? false,
            Compat = data is null ? null : Str(data, "compat"),
        };
    }

    private static string ResolveCreateFormat(string path, string? format)
    {
        if (string.IsNullOrWhiteSpace(format))
        {
            // A new image takes the format its extension names; qcow2 when the name says nothing.
            return DiskFormats.FromExtension(path) ?? "qcow2";
        }

        return DiskFormats.Resolve(path, format);
    }

    private static NativeCommandException Failure(string id, FailureKind kind, string path, string what, NativeCommand command, NativeResult result)
    {
        var message = result.StandardError.Trim();
        if (message.Length == 0)
        {
            message = result.StandardOutput.Trim();
        }

        // qemu-img prefixes its lines with "qemu-img: "; the rest is the reason.
        message = string.Join(" ", message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)
            .Select(l => l.StartsWith("qemu-img: ", StringComparison.Ordinal) ? l["qemu-img: ".Length..] : l));
        if (message.Contains("No such file or directory", StringComparison.Ordinal) && kind == FailureKind.InvalidArgument)
        {
            kind = FailureKind.ObjectNotFound;
        }
        else if (message.Contains("lock", StringComparison.OrdinalIgnoreCase))
        {
            kind = FailureKind.ResourceBusy;
        }

        return new NativeCommandException(id, kind, path, $"{what}: {message}", command.Program, result.ExitCode, result.StandardError);
    }

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long? Long(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    private static bool? Bool(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
}
