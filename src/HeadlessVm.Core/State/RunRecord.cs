using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.State;

/// <summary>run.json: how a VM's running qemu was started, which its vm.json cannot say (Auto resolves at each start).</summary>
public sealed record RunRecord(AcceleratorKind Accelerator, string Cpu)
{
    /// <summary>The record of the VM's current run: missing before its start has finished, damaged when cut short.</summary>
    public static RecordRead<RunRecord> Read(StatePaths.VmFiles vm) =>
        RecordFiles.ReadJson<RunRecord>(vm.RunFile, r => string.IsNullOrWhiteSpace(r.Cpu) ? "it names no CPU model" : null);

    /// <summary>Written without fsync: it means nothing after a power loss.</summary>
    public void Write(StatePaths.VmFiles vm) => JsonRecords.Write(vm.RunFile, this, durable: false);
}
