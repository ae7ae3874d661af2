using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Presses keys on a VM's keyboard through QMP send-key: -Key takes combinations by name
/// (ctrl-alt-delete, ctrl-alt-f2, ret), -Text types text on a US layout ("`n" is Enter).
/// </summary>
[Cmdlet(VerbsCommunications.Send, "HeadlessVmKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = KeySet)]
[OutputType(typeof(VmInfo))]
public sealed class SendHeadlessVmKeyCommand : VmActionCmdlet
{
    private const string KeySet = "Key";
    private const string TextSet = "Text";
    private IReadOnlyList<KeyCombination> _keys = Array.Empty<KeyCombination>();

    /// <summary>Key combinations pressed one after another, each with its keys joined by '-' or '+'.</summary>
    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    [ValidateNotNullOrEmpty]
    public string[] Key { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string Text { get; set; } = string.Empty;

    /// <summary>How long each key is held down, in milliseconds.</summary>
    [Parameter]
    [InvariantNumber(EmptyIsNotGiven = false)]
    [ValidateRange(10, 10000)]
    public int HoldTimeMs { get; set; } = 100;

    // The text is never shown: it is often a password.
    protected override string Action => ParameterSetName == TextSet
        ? $"Type text ({Text.Length} characters, {_keys.Count} keystrokes)"
        : "Press keys " + string.Join(", ", _keys);

    protected override void BeginProcessing()
    {
        try
        {
            _keys = ParameterSetName == TextSet
                ? KeyMap.FromText(Text)
                : Key.Select(KeyMap.ParseCombination).ToArray();
        }
        catch (Core.HeadlessVmException ex)
        {
            ThrowTerminating(ex);
        }
    }

    protected override VmInfo? Act(IVmBackend vms, string name)
    {
        vms.SendKeys(name, _keys, HoldTimeMs, CancellationToken);
        return PassThru ? vms.Get(name) : null;
    }
}
