using System.Collections.ObjectModel;
using System.Management.Automation;

namespace HeadlessVm.Bench;

/// <summary>
/// Module VMs whose guests never run, so that many of them do not fight for the cores: New-HeadlessVm
/// -Paused (qemu -S). Until the module has -Paused: -NoStart, then Start-HeadlessVm and Suspend-HeadlessVm.
/// </summary>
public static class PausedVms
{
    private const string Specs =
        "$from..$to | ForEach-Object { [pscustomobject]@{ Name = \"$prefix$_\"; MemoryMB = $memory; Network = 'None' } }";

    /// <summary>How the VMs were made, for the report.</summary>
    public static string How(ModuleRunspace session) => HasPaused(session)
        ? "`New-HeadlessVm -Paused`"
        : "`New-HeadlessVm -NoStart | Start-HeadlessVm -PassThru | Suspend-HeadlessVm` (this build of the module has no -Paused yet)";

    /// <summary>Creates VMs prefix{from}..prefix{to} in one pipeline; returns them and how long the pipeline took.</summary>
    public static (Collection<PSObject> Vms, TimeSpan Elapsed) Create(ModuleRunspace session, string prefix, int from, int to, int memoryMB)
    {
        var script = HasPaused(session)
            ? Specs + " | New-HeadlessVm -Paused"
            : Specs + " | New-HeadlessVm -NoStart | Start-HeadlessVm -PassThru | Suspend-HeadlessVm -PassThru";
        var result = session.Timed(script, new Dictionary<string, object?> { ["from"] = from, ["to"] = to, ["prefix"] = prefix, ["memory"] = memoryMB });
        if (result.Output.Count != to - from + 1)
        {
            throw new BenchException($"Creating {prefix}{from}..{prefix}{to} returned {result.Output.Count} VMs.");
        }

        // The specs bind by property name, Network from a string to its enum.
        var wrong = result.Output.Where(vm => BridgeInfo.Property(vm, "Network")?.ToString() != "None" || BridgeInfo.Property(vm, "MemoryMB") is not int m || m != memoryMB).ToArray();
        if (wrong.Length > 0)
        {
            throw new BenchException($"New-HeadlessVm did not bind Network = 'None' and MemoryMB = {memoryMB} from the piped objects: {wrong[0]} has " +
                $"{BridgeInfo.Property(wrong[0], "Network")}, {BridgeInfo.Property(wrong[0], "MemoryMB")} MB.");
        }

        return result;
    }

    private static bool HasPaused(ModuleRunspace session) => session.HasParameter("New-HeadlessVm", "Paused");
}
