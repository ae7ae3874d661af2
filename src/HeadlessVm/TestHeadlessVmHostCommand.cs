using System.Management.Automation;
using HeadlessVm.Core;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// A preflight of hosts: one line per check (Client, Reachable, Authenticated, Daemon, Kvm, PortForward, Console; for the
/// folder store StateFolder, Qemu, QemuImg, Kvm, Console) with its status and, unless it passed, the remedy. Hosts are
/// checked at once; nothing on them is changed.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "HeadlessVmHost")]
[OutputType(typeof(HostCheck))]
public sealed class TestHeadlessVmHostCommand : HeadlessVmCmdlet
{
    /// <summary>Registered hosts or host names ("*" for every registered host); every registered host when neither this nor -ConnectionUri is given.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? ComputerName { get; set; }

    /// <summary>libvirt URIs to check.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? ConnectionUri { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<HostTarget> targets = Array.Empty<HostTarget>();
        var named = ComputerName?.Any(n => !string.IsNullOrWhiteSpace(n)) == true || ConnectionUri?.Any(u => !string.IsNullOrWhiteSpace(u)) == true;
        if (!Try(null, () => targets = Context.Targets.Resolve(named ? ComputerName : new[] { HostRegistry.All }, ConnectionUri)))
        {
            return;
        }

        if (!named && targets.All(t => t.IsLocalStore))
        {
            WriteVerbose("No libvirt host is registered: the folder store alone is checked (Connect-HeadlessVmHost registers one).");
        }

        // Each host on a task of its own with a context of its own (the console check reports what its ssh master does):
        // what each reports is kept and replayed here, on the pipeline thread, host by host.
        var hosts = targets.Where(t => !t.IsLocalStore).Select(t => (Target: t, Log: new BufferedVmHost())).ToArray();
        var checks = hosts.Select(h => Task.Run(() => new HeadlessVmContext(Context.Paths, h.Log).HostChecks.Run(h.Target, CancellationToken))).ToArray();
        try
        {
            Task.WaitAll(checks, CancellationToken);
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            foreach (var (_, log) in hosts)
            {
                log.ReplayTo(this);
            }
        }

        // The folder store's checks are quick and local: made here, on the pipeline thread, and written first.
        foreach (var local in targets.Where(t => t.IsLocalStore))
        {
            foreach (var check in Context.LocalChecks.Run(local.ComputerName))
            {
                WriteObject(check);
            }
        }

        foreach (var check in checks.SelectMany(c => c.Result))
        {
            WriteObject(check);
        }
    }
}
