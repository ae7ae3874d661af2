using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// The shape every lifecycle cmdlet shares: -Name (wildcards, pipeline by value and property name),
/// ShouldProcess with the VM as target, an error per VM, and -PassThru.
/// </summary>
public abstract class VmActionCmdlet : HeadlessVmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>What ShouldProcess shows as the action.</summary>
    protected abstract string Action { get; }

    /// <summary>Does the action to one VM, now; returns the VM for -PassThru.</summary>
    protected virtual VmInfo? Act(string name) => null;

    /// <summary>Handles one confirmed VM; by default acts at once. Cmdlets that act on all VMs together override it.</summary>
    protected virtual void Process(string name) => Try(name, () =>
    {
        var vm = Act(name);
        if (PassThru && vm is not null)
        {
            WriteObject(vm);
        }
    });

    protected override void ProcessRecord()
    {
        foreach (var name in ResolveVms(Name))
        {
            if (ShouldProcess(name, Action))
            {
                Process(name);
            }
        }
    }
}
