using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace HeadlessVm.Tests;

/// <summary>
/// A PowerShell host for the runspace of tests about -Confirm and -WhatIf: it answers every choice prompt
/// (ShouldProcess's "Are you sure...?") with <see cref="Answer"/> and keeps what it was asked and what
/// was written to it ("What if: ..." lines go to the host).
/// </summary>
public sealed class AnsweringHost : PSHost
{
    private readonly AnsweringUI _ui = new();

    /// <summary>The label of the choice to pick, without its '&amp;' ("Yes", "No").</summary>
    public string Answer { get => _ui.Answer; set => _ui.Answer = value; }

    /// <summary>Each prompt: its caption and message, as ShouldProcess shows them.</summary>
    public List<(string Caption, string Message)> Prompts => _ui.Prompts;

    /// <summary>Lines written to the host (Write-Host, "What if:").</summary>
    public List<string> Lines => _ui.Lines;

    public override string Name => "HeadlessVm.Tests.AnsweringHost";
    public override Version Version { get; } = new(1, 0);
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
    public override void SetShouldExit(int exitCode) { }
    public override void EnterNestedPrompt() => throw new NotSupportedException();
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }

    private sealed class AnsweringUI : PSHostUserInterface
    {
        public string Answer { get; set; } = "No";
        public List<(string Caption, string Message)> Prompts { get; } = new();
        public List<string> Lines { get; } = new();

        public override PSHostRawUserInterface? RawUI => null;

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            Prompts.Add((caption, message));
            var index = choices.ToList().FindIndex(c => c.Label.Replace("&", string.Empty, StringComparison.Ordinal) == Answer);
            return index >= 0 ? index : throw new InvalidOperationException($"No choice '{Answer}' among: {string.Join(", ", choices.Select(c => c.Label))}");
        }

        public override void WriteLine(string value) => Lines.Add(value);
        public override void Write(string value) => Lines.Add(value);
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Lines.Add(value);
        public override void WriteErrorLine(string value) => Lines.Add(value);
        public override void WriteDebugLine(string message) { }
        public override void WriteVerboseLine(string message) { }
        public override void WriteWarningLine(string message) { }
        public override void WriteProgress(long sourceId, ProgressRecord record) { }
        public override string ReadLine() => throw new NotSupportedException("The test host reads nothing.");
        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException("The test host reads nothing.");
        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw new NotSupportedException(message);
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException(message);
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new NotSupportedException(message);
    }
}
