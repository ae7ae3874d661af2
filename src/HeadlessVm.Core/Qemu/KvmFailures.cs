using System.Globalization;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Qemu;

/// <summary>What is remembered of a KVM start that failed: which qemu, on which boot, and qemu's words.</summary>
public sealed record KvmFailure(string Program, string ProgramStamp, string BootId, string Reason, DateTimeOffset When);

/// <summary>
/// Remembers that KVM failed for a qemu binary on this boot of the machine, so that -Accelerator Auto
/// goes straight to TCG instead of paying for a failed KVM start every time. A reboot, or a different
/// qemu binary, forgets it: KVM is tried again.
/// </summary>
public sealed class KvmFailures
{
    private readonly StatePaths _paths;
    private readonly Func<string> _bootId;

    /// <param name="bootId">This boot's id; /proc/sys/kernel/random/boot_id (random(4)) unless given.</param>
    public KvmFailures(StatePaths paths, Func<string>? bootId = null)
    {
        _paths = paths;
        _bootId = bootId ?? ReadBootId;
    }

    /// <summary>The remembered failure of <paramref name="program"/> (a full path), if it still holds.</summary>
    public KvmFailure? Find(string program)
    {
        // A note that is damaged is as good as none: KVM is tried again, and a new note is written if it fails.
        var failure = RecordFiles.ReadJson<KvmFailure>(_paths.KvmFailureFile(program)).Value;
        return failure is not null && failure.Program == program && failure.ProgramStamp == Stamp(program) && failure.BootId == _bootId()
            ? failure
            : null;
    }

    public void Remember(string program, string reason) =>
        JsonRecords.Write(_paths.KvmFailureFile(program), new KvmFailure(program, Stamp(program), _bootId(), reason, DateTimeOffset.Now), durable: false);

    public void Forget(string program) => PrivateFiles.TryDelete(_paths.KvmFailureFile(program));

    /// <summary>The binary's size and change time: an upgraded qemu gets another chance.</summary>
    private static string Stamp(string program)
    {
        var info = new FileInfo(program);
        return info.Exists
            ? $"{info.Length.ToString(CultureInfo.InvariantCulture)}-{info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)}"
            : "missing";
    }

    private static string ReadBootId() =>
        PrivateFiles.TryReadAllText("/proc/sys/kernel/random/boot_id")?.Trim() ?? "unknown";
}
