using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.State;

/// <summary>run.json: how a VM's running qemu was started, which its vm.json cannot say (Auto resolves at each start).</summary>
public sealed record RunRecord(AcceleratorKind Accelerator, string Cpu)
{
    /// <summary>The record of the VM's current run, or null when there is none (or it is damaged).</summary>
    public static RunRecord? Read(StatePaths.VmFiles vm) => JsonRecords.TryRead<RunRecord>(vm.RunFile);

    /// <summary>Written without fsync: it means nothing after a power loss.</summary>
    public void Write(StatePaths.VmFiles vm) => JsonRecords.Write(vm.RunFile, this, durable: false);
}
