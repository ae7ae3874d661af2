using System.Management.Automation;
using System.Management.Automation.Language;

namespace HeadlessVm.Tests;

/// <summary>
/// Runs each tests/pester/*.Tests.ps1 in the in-process runspace, so that CI proves the Pester files
/// work against the real module although pwsh and Pester are not installable here. Pester itself is
/// replaced by <see cref="PesterStandIn"/>, a small, test-only stand-in for the commands those files
/// use (Describe, BeforeAll, AfterAll, It, Should with -Be/-BeExactly/-Match/-BeNullOrEmpty/
/// -BeGreaterThan/-BeOfType/-HaveCount/-Contain/-Throw -ErrorId, $TestDrive), with Pester 5's order:
/// BeforeAll, each It in a child scope, AfterAll.
/// </summary>
[Collection("PowerShell")]
public sealed class PesterFilesTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("HEADLESSVM_TEST_STATE_PARENT", null);
        _ps.Dispose();
    }

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests", "pester"), "*.Tests.ps1").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_It_in_the_Pester_file_passes_against_the_real_module(string file)
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "pester", file);
        var ast = Parser.ParseFile(path, out _, out var errors);
        Assert.Empty(errors);
        var its = ast.FindAll(a => a is CommandAst c && c.GetCommandName() == "It", searchNestedScriptBlocks: true).Count();
        Assert.True(its > 0);

        // The Pester files' temporary stores go under this session's store, which its Dispose cleans by PID.
        Environment.SetEnvironmentVariable("HEADLESSVM_TEST_STATE_PARENT", _ps.StateRoot);
        _ps.Ok(PesterStandIn.Script);
        var run = _ps.Run($"& '{path}'; $global:PesterStandInResults");
        Assert.Null(run.Terminating);
        var results = run.Output.Select(o => (
            Name: o.Properties["Name"].Value.ToString(),
            Passed: (bool)o.Properties["Passed"].Value,
            Message: o.Properties["Message"].Value?.ToString())).ToList();

        var failed = results.Where(r => !r.Passed).Select(r => $"{r.Name}: {r.Message}").ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
        Assert.Equal(its, results.Count);

        // Each file's AfterAll removed its VMs and restored HEADLESSVM_HOME.
        Assert.Equal(_ps.StateRoot, Environment.GetEnvironmentVariable("HEADLESSVM_HOME"));
        Assert.Empty(Directory.EnumerateDirectories(_ps.StateRoot, "hvm-pester-*"));
    }

    [Fact]
    public void The_stand_in_fails_a_test_whose_assertion_does_not_hold()
    {
        _ps.Ok(PesterStandIn.Script);
        var results = _ps.Ok("""
            Describe 'stand-in' {
                It 'be' { 1 | Should -Be 2 }
                It 'throw id' { { Get-HeadlessVm -Name nosuchvm -ErrorAction Stop } | Should -Throw -ErrorId 'Other,*' }
                It 'null or empty' { 'x' | Should -BeNullOrEmpty }
                It 'holds' { { Get-HeadlessVm -Name nosuchvm -ErrorAction Stop } | Should -Throw -ErrorId 'VmNotFound,*' }
            }
            $global:PesterStandInResults
            """);
        Assert.Equal(new[] { false, false, false, true }, results.Select(r => (bool)r.Properties["Passed"].Value));
    }
}

/// <summary>Test-only: the handful of Pester 5 commands that tests/pester uses. Not Pester.</summary>
public static class PesterStandIn
{
    public const string Script = """
        $global:PesterStandInResults = [System.Collections.Generic.List[object]]::new()

        function global:Describe {
            param([Parameter(Position = 0)][string] $Name, [Parameter(Position = 1)][scriptblock] $Fixture)
            $block = [pscustomobject]@{
                BeforeAll = [System.Collections.Generic.List[scriptblock]]::new()
                AfterAll  = [System.Collections.Generic.List[scriptblock]]::new()
                Tests     = [System.Collections.Generic.List[object]]::new()
            }
            $global:PesterStandInBlock = $block
            $null = & $Fixture
            $global:PesterStandInBlock = $null
            $TestDrive = (New-Item -ItemType Directory -Path (Join-Path ([System.IO.Path]::GetTempPath()) ('hvm-testdrive-' + [guid]::NewGuid().ToString('n')))).FullName
            $record = { param($test, $passed, $message) $global:PesterStandInResults.Add([pscustomobject]@{ Name = "$Name / $test"; Passed = $passed; Message = $message }) }
            try {
                $setupError = $null
                try { foreach ($b in $block.BeforeAll) { . $b } } catch { $setupError = $_ }
                foreach ($t in $block.Tests) {
                    if ($setupError) { & $record $t.Name $false "BeforeAll failed: $setupError"; continue }
                    try { $null = & { . $t.Test }; & $record $t.Name $true $null }
                    catch { & $record $t.Name $false "$_ $($_.ScriptStackTrace)" }
                }
            }
            finally {
                foreach ($b in $block.AfterAll) {
                    try { $null = . $b } catch { & $record 'AfterAll' $false "$_" }
                }
                Remove-Item -LiteralPath $TestDrive -Recurse -Force -ErrorAction SilentlyContinue
            }
        }

        function global:BeforeAll { param([Parameter(Position = 0)][scriptblock] $Scriptblock) $global:PesterStandInBlock.BeforeAll.Add($Scriptblock) }
        function global:AfterAll { param([Parameter(Position = 0)][scriptblock] $Scriptblock) $global:PesterStandInBlock.AfterAll.Add($Scriptblock) }
        function global:It {
            param([Parameter(Position = 0)][string] $Name, [Parameter(Position = 1)][scriptblock] $Test)
            $global:PesterStandInBlock.Tests.Add([pscustomobject]@{ Name = $Name; Test = $Test })
        }

        function global:Should {
            [CmdletBinding()]
            param(
                [Parameter(ValueFromPipeline)] $ActualValue,
                [Parameter(Position = 0)] $ExpectedValue,
                [switch] $Not, [switch] $Be, [switch] $BeExactly, [switch] $Match, [switch] $BeNullOrEmpty,
                [switch] $BeGreaterThan, [switch] $BeOfType, [switch] $HaveCount, [switch] $Contain, [switch] $Throw,
                [string] $ErrorId)
            begin { $items = [System.Collections.Generic.List[object]]::new() }
            process { $items.Add($ActualValue) }
            end {
                $actual = if ($items.Count -eq 0) { $null } elseif ($items.Count -eq 1) { $items[0] } else { $items.ToArray() }
                $detail = ''
                $pass = if ($Be) { $items.Count -le 1 -and $actual -eq $ExpectedValue }
                    elseif ($BeExactly) { $items.Count -le 1 -and $actual -ceq $ExpectedValue }
                    elseif ($Match) { $items.Count -le 1 -and "$actual" -match $ExpectedValue }
                    elseif ($BeNullOrEmpty) { $items.Count -eq 0 -or ($items.Count -eq 1 -and ($null -eq $actual -or "$actual" -eq '' -or ($actual -is [array] -and $actual.Count -eq 0))) }
                    elseif ($BeGreaterThan) { $items.Count -eq 1 -and $actual -gt $ExpectedValue }
                    elseif ($BeOfType) { $items.Count -eq 1 -and $actual -is [type]$ExpectedValue }
                    elseif ($HaveCount) { $items.Count -eq $ExpectedValue }
                    elseif ($Contain) { $items -contains $ExpectedValue }
                    elseif ($Throw) {
                        try { $null = & $actual; $false; $detail = 'nothing was thrown' }
                        catch {
                            $detail = "threw $($_.FullyQualifiedErrorId): $_"
                            -not $ErrorId -or $_.FullyQualifiedErrorId -like $ErrorId
                        }
                    }
                    else { throw 'Should: unsupported assertion in the test-only Pester stand-in.' }
                if ($Not) { $pass = -not $pass }
                if (-not $pass) {
                    $which = ($PSBoundParameters.Keys | Where-Object { $_ -notin 'ActualValue', 'ExpectedValue' }) -join ' -'
                    throw "Expected -$which '$ExpectedValue', but got '$($items -join "', '")' $detail"
                }
            }
        }
        """;
}
