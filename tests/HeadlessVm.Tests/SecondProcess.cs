using System.Diagnostics;

namespace HeadlessVm.Tests;

/// <summary>Runs a script in another OS process (HeadlessVm.TestHost) against the same state folder.</summary>
public static class SecondProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string stateRoot, string script, params (string Name, string Value)[] env) =>
        Finish(Start(stateRoot, script, env));

    public static Process Start(string stateRoot, string script, params (string Name, string Value)[] env) =>
        Start(Array.Empty<string>(), stateRoot, script, env);

    /// <summary>Starts the host through <paramref name="wrapper"/> (a program and its arguments that runs the rest, such as tests/hosts/without-libvirt.sh).</summary>
    public static Process Start(IReadOnlyList<string> wrapper, string stateRoot, string script, params (string Name, string Value)[] env)
    {
        var host = Path.Combine(RepoPaths.Root, "tests", "HeadlessVm.TestHost", "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "HeadlessVm.TestHost.dll");
        var psi = new ProcessStartInfo(wrapper.Count > 0 ? wrapper[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in wrapper.Skip(1).Concat(wrapper.Count > 0 ? new[] { "dotnet" } : Array.Empty<string>()))
        {
            psi.ArgumentList.Add(argument);
        }

        psi.ArgumentList.Add(host);
        psi.ArgumentList.Add(RepoPaths.Manifest);
        psi.ArgumentList.Add(script);
        psi.Environment["HEADLESSVM_HOME"] = stateRoot;
        foreach (var (name, value) in env)
        {
            psi.Environment[name] = value;
        }

        return Process.Start(psi)!;
    }

    public static Result Finish(Process process)
    {
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("The second process did not finish in 120 s.");
            }

            return new Result(process.ExitCode, stdout, stderr.Result);
        }
    }
}
