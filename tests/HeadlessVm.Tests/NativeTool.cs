using System.Diagnostics;

namespace HeadlessVm.Tests;

/// <summary>Runs a native tool (qemu-img, qemu-io, xorriso) the way a user would, to check what the module made; bounded to 60 s.</summary>
public static class NativeTool
{
    /// <summary>The tool's exit code and its output and error text together.</summary>
    public static (int ExitCode, string Output) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new TimeoutException($"{program} did not finish in 60 s");
        }

        return (p.ExitCode, output.Result + err.Result);
    }
}

/// <summary>The one error a refused command writes, checked for its id, target and category.</summary>
public static class Refusals
{
    /// <summary>Runs <paramref name="script"/> and returns its single error after checking it is <paramref name="id"/> on <paramref name="target"/>.</summary>
    public static System.Management.Automation.ErrorRecord Refused(this PowerShellSession ps, string script, string id, string target, System.Management.Automation.ErrorCategory category)
    {
        var error = Assert.Single(ps.Run(script).Errors);
        Assert.Equal(id, error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(target, error.TargetObject);
        Assert.Equal(category, error.CategoryInfo.Category);
        return error;
    }
}

/// <summary>VNC displays for a VM that is started later than it is made.</summary>
public static class FreeDisplays
{
    /// <summary>A display whose port is free now and that no VM of the session's store has.</summary>
    public static int FreeVncDisplay(this PowerShellSession ps)
    {
        var taken = ps.Ok("(Get-HeadlessVm).VncDisplay").Select(o => (int)o.BaseObject).ToHashSet();
        return Enumerable.Range(1, 98).First(d => !taken.Contains(d) && HeadlessVm.Core.Processes.Ports.IsFree("127.0.0.1", 5900 + d));
    }
}
