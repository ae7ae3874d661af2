using System.Text.RegularExpressions;

namespace HeadlessVm.Core.Guest;

/// <summary>A line of a VM's serial console that matched what a wait looked for; <see cref="LineNumber"/> counts from 1 in this boot.</summary>
public sealed record SerialMatch(string VmName, int LineNumber, string Line, Match Match);
