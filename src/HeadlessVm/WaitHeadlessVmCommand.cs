using System.Management.Automation;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Waits until a VM's serial console prints a line matching -ForText (and emits that line), or until
/// the VM is -For Running/Stopped. Shows progress; Ctrl+C stops the waiting and leaves the VM alone;
/// a timeout is an OperationTimeout error that quotes the last serial lines.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "HeadlessVm", DefaultParameterSetName = TextSet)]
[OutputType(typeof(string), ParameterSetName = new[] { TextSet })]
[OutputType(typeof(VmInfo))]
public sealed class WaitHeadlessVmCommand : VmCmdlet
{
    private const string TextSet = "Text";
    private const string StateSet = "State";
    private DateTime _deadline;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>A regular expression (case-sensitive) matched against each serial line of the current boot.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TextSet)]
    [ValidateNotNullOrEmpty]
    public string ForText { get; set; } = string.Empty;

    /// <summary>Only match lines printed after Wait-HeadlessVm started (e.g. after Restart-HeadlessVm).</summary>
    [Parameter(ParameterSetName = TextSet)]
    public SwitchParameter NewOutputOnly { get; set; }

    /// <summary>Running, Paused or Stopped; the core refuses the other states (InvalidWaitState).</summary>
    [Parameter(Mandatory = true, ParameterSetName = StateSet)]
    public VmState For { get; set; }

    /// <summary>How long to wait in all, for every VM named.</summary>
    [Parameter]
    [InvariantNumber(EmptyIsNotGiven = false)]
    [ValidateRange(1, 7 * 86400)]
    public int TimeoutSec { get; set; } = 300;

    /// <summary>Emit the VM instead of the matched line.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => _deadline = DateTime.UtcNow.AddSeconds(TimeoutSec);

    protected override void ProcessRecord()
    {
        Regex? pattern = null;
        if (ParameterSetName == TextSet)
        {
            try
            {
                pattern = new Regex(ForText, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                ThrowTerminating(HeadlessVmErrors.InvalidRegex(ForText, ex.Message));
                return;
            }
        }

        foreach (var (host, name) in ResolveVmsOnHosts(Name))
        {
            Try(name, host, () =>
            {
                var vms = Backend(host);
                if (pattern is not null)
                {
                    var match = vms.WaitForText(name, pattern, _deadline, NewOutputOnly, CancellationToken);
                    WriteVerbose($"VM '{name}' printed line {match.LineNumber}: {match.Line}");
                    WriteObject(PassThru ? vms.Get(name) : match.Line);
                }
                else
                {
                    var vm = vms.WaitForState(name, For, _deadline, CancellationToken);
                    if (PassThru)
                    {
                        WriteObject(vm);
                    }
                }
            });
        }
    }
}
