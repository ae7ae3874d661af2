using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>Tab completion as the prompt does it: TabExpansion2 in a runspace with the module imported.</summary>
[Collection("PowerShell")]
public sealed class CompletionTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public CompletionTests()
    {
        // Records only: completion reads the store, it needs no running qemu.
        _ps.Ok("'web1','web2','db1' | ForEach-Object { New-HeadlessVm -Name $_ -MemoryMB 64 -NoStart } | Out-Null");
    }

    public void Dispose() => _ps.Dispose();

    private List<string> Complete(string input)
    {
        var result = _ps.Ok($"(TabExpansion2 -inputScript '{input.Replace("'", "''")}' -cursorColumn {input.Length}).CompletionMatches.CompletionText");
        return result.Select(o => o.ToString()).ToList();
    }

    [Fact]
    public void Get_HeadlessVm_completes_the_names_of_the_VMs_in_the_store()
    {
        Assert.Equal(new[] { "web1", "web2" }, Complete("Get-HeadlessVm w").Order());
        Assert.Equal(new[] { "db1", "web1", "web2" }, Complete("Get-HeadlessVm ").Order());
    }

    [Fact]
    public void Name_completion_honours_wildcards()
    {
        Assert.Equal(new[] { "db1", "web1" }, Complete("Stop-HeadlessVm -Name *b1").Order());
        Assert.Equal(new[] { "web2" }, Complete("Start-HeadlessVm -Name w?b2").Order());
    }

    [Fact]
    public void Every_cmdlet_that_takes_a_VM_name_completes_it()
    {
        var commands = _ps.Ok("""
            Get-Command -Module HeadlessVm -CommandType Cmdlet |
                Where-Object { $_.Name -ne 'New-HeadlessVm' } |
                ForEach-Object {
                    $p = $_.Parameters.Values | Where-Object { $_.Name -eq 'VmName' -or ($_.Name -eq 'Name' -and $_.Aliases -contains 'VmName') -or ($_.Name -eq 'Name' -and $_.ParameterType -in [string], [string[]]) } | Select-Object -First 1
                    if ($p) { '{0} -{1}' -f $_.Name, $p.Name }
                }
            """).Select(o => o.ToString()).ToList();
        Assert.Contains("Stop-HeadlessVm -Name", commands);

        var problems = commands
            .Select(c => (Command: c, Completions: Complete(c + " web")))
            .Where(x => !x.Completions.SequenceEqual(new[] { "web1", "web2" }))
            .Select(x => $"{x.Command} web -> [{string.Join(", ", x.Completions)}]")
            .ToList();
        Assert.True(problems.Count == 0, "no VM name completion for:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Architecture_completes_the_installed_qemu_system_binaries()
    {
        var archs = Complete("New-HeadlessVm x -Architecture x86");
        Assert.Contains("x86_64", archs);
        Assert.All(archs, a => Assert.NotNull(HeadlessVm.Core.Processes.NativeRunner.FindExecutable("qemu-system-" + a)));
        Assert.DoesNotContain("aarch64", Complete("New-HeadlessVm x -Architecture "));
    }

    [Fact]
    public void Cpu_completes_the_models_that_qemu_reports_for_the_architecture()
    {
        var models = Complete("New-HeadlessVm x -Cpu Has");
        Assert.Contains("Haswell", models);
        Assert.All(models, m => Assert.StartsWith("Has", m, StringComparison.OrdinalIgnoreCase));
        Assert.Contains("max", Complete("New-HeadlessVm x -Architecture i386 -Cpu ma"));
        Assert.DoesNotContain("Recognized", Complete("New-HeadlessVm x -Cpu "));
    }

    [Fact]
    public void Disk_formats_complete_from_the_known_list()
    {
        Assert.Equal(new[] { "qcow2", "qed" }, Complete("New-HeadlessVm x -DiskFormat q").Order());
        Assert.Equal(new[] { "vhd", "vhdx" }, Complete("New-HeadlessVmDisk -Path x -SizeGB 1 -Format vh").Order());
    }

    [Fact]
    public void IsoPath_and_DiskPath_complete_files()
    {
        File.WriteAllText(Path.Combine(_ps.WorkFolder, "boot.iso"), "");
        File.WriteAllText(Path.Combine(_ps.WorkFolder, "data.qcow2"), "");
        Assert.Contains(Complete("New-HeadlessVm x -IsoPath bo"), c => c.EndsWith("boot.iso", StringComparison.Ordinal));
        Assert.Contains(Complete("New-HeadlessVm x -DiskPath da"), c => c.EndsWith("data.qcow2", StringComparison.Ordinal));
    }
}
