#Requires -Version 7.4
<#
.SYNOPSIS
Runs the Pester tests in this folder the way an ops script runs: $ErrorActionPreference = 'Stop' and
Set-StrictMode -Version Latest.

.DESCRIPTION
build.ps1 -Task Test runs this in a new 'pwsh -NoProfile', with the module it built and the Pester it
downloaded. Prints Pester's own report, then one line "Pester: N passed, N failed, N skipped". Exits 0
when every test passed, 1 otherwise.

.EXAMPLE
pwsh -NoProfile -File tests/pester/Invoke-PesterSuite.ps1

.EXAMPLE
pwsh -NoProfile -File tests/pester/Invoke-PesterSuite.ps1 -Path tests/pester/Console.Tests.ps1 -DefaultPreference
#>
[CmdletBinding()]
param(
    # The HeadlessVm manifest the tests import; by default the repository's root manifest (after 'dotnet build').
    [string] $ModuleManifest,

    # The Pester 5 to run with; by default the newest 5.x on $env:PSModulePath.
    [version] $PesterVersion,

    # Test files or folders; by default every *.Tests.ps1 here.
    [string[]] $Path = $PSScriptRoot,

    # Where to write the totals as JSON (Passed, Failed, Skipped, NotRun, Result).
    [string] $ResultPath,

    # Run with PowerShell's default preferences instead of 'Stop' and strict mode.
    [switch] $DefaultPreference
)

if ($PesterVersion) {
    Import-Module Pester -RequiredVersion $PesterVersion -ErrorAction Stop
}
else {
    Import-Module Pester -MinimumVersion 5.5.0 -MaximumVersion 5.99.99 -ErrorAction Stop
}
if ($ModuleManifest) {
    $env:HEADLESSVM_TEST_MODULE = (Resolve-Path -LiteralPath $ModuleManifest).Path
}

# Outside each file's own store (Common.ps1), HEADLESSVM_HOME names a folder nobody can create: a stray
# module call fails instead of falling back to the user's own store in ~/.local/state/headlessvm.
$env:HEADLESSVM_HOME = '/proc/headlessvm-tests-no-store'


$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
# "[|] name..." as each test starts: build.ps1 names the running test when it kills a run that hangs.
$config.Debug.ShowStartMarkers = $true
# Escape codes are noise in a CI log or a file.
$config.Output.RenderMode = if ([Console]::IsOutputRedirected) { 'Plaintext' } else { 'Auto' }

# The test blocks run in this script's scope chain, so these hold inside every BeforeAll, It and AfterAll.
if (-not $DefaultPreference) {
    $ErrorActionPreference = 'Stop'
    Set-StrictMode -Version Latest
}

$result = Invoke-Pester -Configuration $config
if (-not $result) {
    Write-Host 'Pester: the run did not start (see the error above).'
    exit 1
}

# A file that does not load fails the run, and so does a failed BeforeAll/AfterAll: Pester marks the
# Its of a failed BeforeAll as failed, but not those before a failed AfterAll, so that counts as one.
$failed = [Math]::Max($result.FailedCount, $result.FailedBlocksCount) + $result.FailedContainersCount
$totals = [ordered]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount
    NotRun  = $result.NotRunCount
    Result  = $result.Result
}
Write-Host "Pester: $($totals.Passed) passed, $($totals.Failed) failed, $($totals.Skipped) skipped"
if ($ResultPath) {
    $null = New-Item -ItemType Directory -Path (Split-Path -Parent $ResultPath) -Force
    $totals | ConvertTo-Json | Set-Content -LiteralPath $ResultPath -Encoding utf8NoBOM
}
exit $(if ($result.Result -eq 'Passed' -and $result.PassedCount -gt 0) { 0 } else { 1 })
