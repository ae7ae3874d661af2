using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// The shape every lifecycle cmdlet shares: -Name (wildcards, pipeline by value and property name) on the hosts
/// -ComputerName and -ConnectionUri name, ShouldProcess with the VM (and its host) as target, an error per VM, and -PassThru.
/// </summary>
public abstract class VmActionCmdlet : VmCmdlet
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

    /// <summary>Does the action to one VM, now, through its host's backend; returns the VM for -PassThru.</summary>
    protected virtual VmInfo? Act(IVmBackend vms, string name) => null;

    /// <summary>Handles one confirmed VM; by default acts at once. Cmdlets that act on all VMs together override it.</summary>
    protected virtual void Process(VmOnHost vm) => Try(vm.Name, vm.Host, () =>
    {
        var info = Act(Backend(vm.Host), vm.Name);
        if (PassThru && info is not null)
        {
            WriteObject(info);
        }
    });

    protected override void ProcessRecord()
    {
        foreach (var vm in ResolveVmsOnHosts(Name))
        {
            if (ShouldProcess(Describe(vm), Action))
            {
                Process(vm);
            }
        }
    }
}
