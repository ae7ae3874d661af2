using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Qemu;

/// <summary>
/// qemu-img's side of disk images: argv builders and the reading of its answers, pure and tested as
/// lists; <see cref="DiskImages"/> runs them.
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

    /// <summary>
    /// <c>qemu-img info --backing-chain --output=json -U PATH</c>: the image and each backing file under it, as a JSON
    /// array of ImageInfo objects, the image first (qemu-img(1), "info"; -U as for <see cref="InfoCommand"/>).
    /// </summary>
    public static NativeCommand BackingChainCommand(string path) =>
        new(Program, new[] { "info", "--backing-chain", "--output=json", "-U", path.StartsWith('-') ? "./" + path : path });

    /// <summary>
    /// The full paths of the images in qemu-img info --backing-chain's JSON array (each one's "filename"; a relative
    /// backing file name is taken relative to the image above it), <paramref name="path"/> first.
    /// </summary>
    public static IReadOnlyList<string> ParseBackingChain(string json, string path)
    {
        JsonArray list;
        try
        {
            list = JsonNode.Parse(json) as JsonArray ?? throw new JsonException("not an array");
        }
        catch (JsonException ex)
        {
            throw HeadlessVmErrors.QemuImgOutputUnreadable(path, ex);
        }

        var chain = new List<string> { path };
        foreach (var image in list.OfType<JsonObject>().Skip(1))
        {
            if (Str(image, "filename") is not { } file)
            {
                break;
            }

            chain.Add(Path.IsPathRooted(file) ? Path.GetFullPath(file) : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(chain[^1]) ?? "/", file)));
        }

        return chain;
    }

    /// <summary>
    /// <c>qemu-img snapshot -c|-a|-d TAG PATH</c>: create, apply (revert the disk to) or delete the internal snapshot
    /// TAG of a qcow2 image that no running qemu holds (qemu-img(1), "snapshot").
    /// </summary>
    public static NativeCommand SnapshotCommand(SnapshotAction action, string tag, string path) =>
        new(Program, new[] { "snapshot", action switch { SnapshotAction.Create => "-c", SnapshotAction.Apply => "-a", _ => "-d" }, tag, path.StartsWith('-') ? "./" + path : path });

    /// <summary>
    /// <c>qemu-img convert -f FMT [-U -l snapshot.name=TAG] -O FMT SOURCE TARGET</c>: a full copy of an image in its own
    /// format, or of the image as it was at internal snapshot TAG (whose clusters never change while it exists, so it is
    /// read with -U, force share, even while a running qemu holds the image; qemu-img(1), "convert").
    /// </summary>
    public static NativeCommand ConvertCommand(string source, string format, string target, string? snapshot = null)
    {
        var a = new List<string> { "convert", "-f", format };
        if (snapshot is not null)
        {
            a.AddRange(new[] { "-U", "-l", "snapshot.name=" + snapshot });
        }

        a.AddRange(new[] { "-O", format, source.StartsWith('-') ? "./" + source : source, target.StartsWith('-') ? "./" + target : target });
        return new NativeCommand(Program, a);
    }

    /// <summary>
    /// The internal snapshots in qemu-img info's JSON (its "snapshots" array of SnapshotInfo: id, name, vm-state-size
    /// in bytes, date-sec/-nsec since the epoch, vm-clock-sec/-nsec; QEMU's qapi/block-core.json), in the image's order.
    /// </summary>
    public static IReadOnlyList<DiskSnapshot> ParseSnapshots(string json, string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            throw HeadlessVmErrors.QemuImgOutputUnreadable(path, ex);
        }

        if (root["snapshots"] is not JsonArray list)
        {
            return Array.Empty<DiskSnapshot>();
        }

        return list.OfType<JsonObject>().Select(s => new DiskSnapshot(
            path,
            Str(s, "name") ?? string.Empty,
            Long(s, "vm-state-size") ?? 0,
            DateTimeOffset.FromUnixTimeSeconds(Long(s, "date-sec") ?? 0).AddTicks((Long(s, "date-nsec") ?? 0) / 100).ToLocalTime(),
            TimeSpan.FromSeconds(Long(s, "vm-clock-sec") ?? 0) + TimeSpan.FromTicks((Long(s, "vm-clock-nsec") ?? 0) / 100))).ToArray();
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
            throw HeadlessVmErrors.QemuImgOutputUnreadable(path, ex);
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

    /// <summary>
    /// What qemu-img said when it refused, without its "qemu-img: " prefixes, and the kind of failure that
    /// makes it: ObjectNotFound for a missing file, ResourceBusy for a locked image, else <paramref name="kind"/>.
    /// </summary>
    internal static (string Reason, FailureKind Kind) Refusal(NativeResult result, FailureKind kind)
    {
        var message = string.Join(" ", result.Message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)
            .Select(l => l.StartsWith("qemu-img: ", StringComparison.Ordinal) ? l["qemu-img: ".Length..] : l));
        if (message.Contains("No such file or directory", StringComparison.Ordinal) && kind == FailureKind.InvalidArgument)
        {
            kind = FailureKind.ObjectNotFound;
        }
        else if (message.Contains("lock", StringComparison.OrdinalIgnoreCase))
        {
            kind = FailureKind.ResourceBusy;
        }

        return (message, kind);
    }

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long? Long(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    private static bool? Bool(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
}

/// <summary>What qemu-img snapshot does with a tag.</summary>
public enum SnapshotAction
{
    Create,
    Apply,
    Delete,
}

/// <summary>One internal snapshot of one image: <paramref name="VmStateSize"/> in bytes (0 for disks only), <paramref name="VmClock"/> the guest's run time then.</summary>
public sealed record DiskSnapshot(string Path, string Name, long VmStateSize, DateTimeOffset Created, TimeSpan VmClock);
