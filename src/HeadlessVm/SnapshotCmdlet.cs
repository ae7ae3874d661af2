using System.Management.Automation;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// The shape Restore- and Remove-HeadlessVmSnapshot share: -Name (the VMs) and -SnapshotName, both by property name so
/// that a checkpoint from Get-HeadlessVmSnapshot (VmName, SnapshotName, ComputerName) pipes in; ShouldProcess per
/// checkpoint with the VM (and its host) named; an error per VM; -PassThru emits the checkpoint.
/// </summary>
public abstract class SnapshotCmdlet : VmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// The checkpoints of <paramref name="all"/> that <paramref name="names"/> name (wildcards expanded; all when null);
    /// a plain name the VM lacks is a SnapshotNotFound error with the VM as target.
    /// </summary>
    internal static IReadOnlyList<VmSnapshot> Select(VmCmdlet cmdlet, VmOnHost vm, IReadOnlyList<VmSnapshot> all, IEnumerable<string>? names)
    {
        if (names is null)
        {
            return all;
        }

        var result = new List<VmSnapshot>();
        foreach (var name in names)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                result.AddRange(all.Where(s => pattern.IsMatch(s.SnapshotName)));
            }
            else if (all.FirstOrDefault(s => s.SnapshotName == name) is { } match)
            {
                result.Add(match);
            }
            else
            {
                cmdlet.WriteError(OnHost(new ErrorRecord(HeadlessVmErrors.SnapshotNotFound(vm.Name, name), ErrorIds.SnapshotNotFound, ErrorCategory.ObjectNotFound, vm.Name), vm.Host));
            }
        }

        return result.Distinct().ToArray();
    }

    /// <summary>What ShouldProcess shows as the target: the checkpoint and its VM.</summary>
    protected static string Describe(VmOnHost vm, string snapshot) => $"checkpoint '{snapshot}' of VM '{Describe(vm)}'";
}
