using System.Diagnostics;

namespace HeadlessVm.Tests;

/// <summary>
/// Runs a script in a second shell: a new <c>pwsh</c> process that imports the module from the root
/// manifest, against the same state folder. Errors print in pwsh's NormalView, which names each
/// error's FullyQualifiedErrorId.
/// </summary>
public static class SecondProcess
{
    public static Pwsh.Result Run(string stateRoot, string script, params (string Name, string Value)[] env) =>
        Finish(Start(stateRoot, script, env));

    public static Process Start(string stateRoot, string script, params (string Name, string Value)[] env) =>
        Start(Array.Empty<string>(), stateRoot, script, env);

    /// <summary>Starts the host through <paramref name="wrapper"/> (a program and its arguments that runs the rest, such as tests/hosts/without-libvirt.sh).</summary>
    public static Process Start(IReadOnlyList<string> wrapper, string stateRoot, string script, params (string Name, string Value)[] env)
    {
        var command = $"$ErrorView = 'NormalView'; Import-Module '{RepoPaths.Manifest.Replace("'", "''")}' -ErrorAction Stop\n{script}";
        var environment = env.Select(e => (e.Name, (string?)e.Value)).Append(("HEADLESSVM_HOME", stateRoot));
        return Pwsh.Start(["-Command", command], environment: environment, launcher: wrapper);
    }

    public static Pwsh.Result Finish(Process process) => Pwsh.Finish(process, TimeSpan.FromSeconds(120));
}
