using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>Every cmdlet that targets VMs names them the same way: -Name string[], wildcards, pipeline by property name, completion, VmName as alias.</summary>
[Collection("PowerShell")]
public sealed class NamingTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void A_new_VM_whose_name_differs_from_another_only_in_case_is_VmAlreadyExists_naming_the_other()
    {
        _ps.Ok("New-HeadlessVm web1 -MemoryMB 64 -NoStart | Out-Null");
        var error = Assert.Single(_ps.Run("New-HeadlessVm WEB1 -MemoryMB 64 -NoStart").Errors);
        Assert.Equal("VmAlreadyExists", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
        Assert.Equal("WEB1", error.TargetObject);
        Assert.Contains("'web1'", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "web1" }, _ps.Ok("Get-HeadlessVm").Select(v => v.Properties["Name"].Value));
        Assert.False(Directory.Exists(_ps.Paths.ForVm("WEB1").Folder));
    }

    [Fact]
    public void Every_cmdlet_that_targets_VMs_takes_Name_as_a_wildcard_array_bound_by_property_name_with_completion_and_the_VmName_alias()
    {
        var problems = _ps.Ok("""
            Get-Command -Module HeadlessVm -CommandType Cmdlet |
                Where-Object Name -notin 'New-HeadlessVm', 'New-HeadlessVmDisk', 'Get-HeadlessVmDisk' |
                Where-Object Noun -ne 'HeadlessVmHost' |
                ForEach-Object {
                    $p = $_.Parameters['Name']
                    $why = @(
                        if (-not $p) { 'no -Name' } else {
                            if ($p.ParameterType -ne [string[]]) { "type $($p.ParameterType)" }
                            if ('VmName' -notin $p.Aliases) { 'no VmName alias' }
                            if (-not ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })) { 'no wildcards' }
                            if (-not ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] -and $_.Type.Name -eq 'VmNameCompleter' })) { 'no VM name completer' }
                            if (-not ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipelineByPropertyName })) { 'not by property name' }
                        })
                    if ($why) { '{0}: {1}' -f $_.Name, ($why -join ', ') }
                }
            """).Select(o => o.ToString()).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_cmdlet_that_targets_VMs_or_hosts_takes_ComputerName_and_ConnectionUri_by_property_name_so_a_piped_VM_goes_back_to_its_host()
    {
        var problems = _ps.Ok("""
            Get-Command -Module HeadlessVm -CommandType Cmdlet |
                Where-Object Name -notin 'New-HeadlessVmDisk', 'Get-HeadlessVmDisk' |
                ForEach-Object {
                    $cmd = $_
                    $why = @(foreach ($n in 'ComputerName', 'ConnectionUri') {
                        $p = $cmd.Parameters[$n]
                        if ($n -eq 'ConnectionUri' -and $cmd.Noun -eq 'HeadlessVmHost' -and $cmd.Verb -ne 'Test') { continue }
                        if (-not $p) { "no -$n"; continue }
                        if (-not ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipelineByPropertyName })) { "-$n not by property name" }
                    })
                    $cn = $cmd.Parameters['ComputerName']
                    if ($cn -and -not ($cn.Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] -and $_.Type.Name -eq 'HostNameCompleter' })) { $why += 'no host name completer' }
                    if ($cmd.Noun -eq 'HeadlessVmHost' -and $cn -and 'Name' -notin $cn.Aliases) { $why += 'no Name alias' }
                    if ($why) { '{0}: {1}' -f $cmd.Name, ($why -join ', ') }
                }
            """).Select(o => o.ToString()).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Get_HeadlessVmSerialLog_and_Get_VmConsoleUrl_expand_wildcards_and_an_unmatched_one_is_silent()
    {
        _ps.Ok("'s1','s2','t1' | ForEach-Object { New-HeadlessVm -Name $_ -MemoryMB 64 -NoStart } | Out-Null");
        File.WriteAllText(_ps.Paths.ForVm("s1").SerialLog, "one\n");
        File.WriteAllText(_ps.Paths.ForVm("s2").SerialLog, "two\nthree\n");

        Assert.Equal(new[] { "one", "two", "three" }, _ps.Ok("Get-HeadlessVmSerialLog s*").Select(o => o.ToString()));
        Assert.Equal(new[] { "one", "three" }, _ps.Ok("Get-HeadlessVm s* | Get-HeadlessVmSerialLog -Tail 1").Select(o => o.ToString()));
        var none = _ps.Run("Get-HeadlessVmSerialLog nosuch*");
        Assert.Empty(none.Errors);
        Assert.Empty(none.Output);
        Assert.Equal("VmNotFound", Assert.Single(_ps.Run("Get-HeadlessVmSerialLog nosuch").Errors).FullyQualifiedErrorId.Split(',')[0]);

        // No bridge runs: each VM a wildcard names is its own BridgeNotRunning error.
        var urls = _ps.Run("Get-VmConsoleUrl s*");
        Assert.Empty(urls.Output);
        Assert.Equal(new object[] { "s1", "s2" }, urls.Errors.Select(e => e.TargetObject));
        Assert.All(urls.Errors, e => Assert.Equal("BridgeNotRunning", e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.Empty(_ps.Run("Get-VmConsoleUrl nosuch*").Errors);
    }

    [Fact]
    public void Start_VncBridge_takes_the_VM_as_Name_or_VmName_and_refuses_one_that_is_not_running()
    {
        _ps.Ok("New-HeadlessVm -Name n1 -MemoryMB 64 -NoStart | Out-Null");
        foreach (var script in new[] { "Start-VncBridge -Name n1", "Start-VncBridge -VmName n1", "Get-HeadlessVm n1 | Start-VncBridge" })
        {
            var error = Assert.Single(_ps.Run(script).Errors);
            Assert.Equal("VmNotRunning", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal("n1", error.TargetObject);
        }
    }
}
