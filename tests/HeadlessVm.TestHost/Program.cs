using System.Management.Automation;
using System.Management.Automation.Runspaces;

// Usage: HeadlessVm.TestHost <manifest> <script>
// Prints each output object's ToString() on stdout and each error as "ERROR <FullyQualifiedErrorId>: <message>" on stderr.
// Exit code: 0 when no error was written, 1 otherwise.
var iss = InitialSessionState.CreateDefault2();
using var runspace = RunspaceFactory.CreateRunspace(iss);
runspace.Open();
using var ps = PowerShell.Create();
ps.Runspace = runspace;
ps.AddScript($"Import-Module '{args[0].Replace("'", "''")}' -ErrorAction Stop").Invoke();
ps.Commands.Clear();
ps.AddScript(args[1]);
try
{
    foreach (var item in ps.Invoke())
    {
        Console.Out.WriteLine(item?.ToString());
    }
}
catch (RuntimeException ex)
{
    Console.Error.WriteLine($"ERROR {ex.ErrorRecord.FullyQualifiedErrorId}: {ex.Message}");
    return 1;
}

foreach (var error in ps.Streams.Error)
{
    Console.Error.WriteLine($"ERROR {error.FullyQualifiedErrorId}: {error}");
}

return ps.Streams.Error.Count == 0 ? 0 : 1;
