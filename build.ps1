#Requires -Version 7.4
<#
.SYNOPSIS
Builds, tests and packages the HeadlessVm module.

.DESCRIPTION
Build    dotnet build, then lays out out/HeadlessVm/<version>/: the packaged manifest (flat paths), the
         assemblies (HeadlessVm.dll, HeadlessVm.Core.dll, CliWrap.dll), the format file and en-US help.
         That folder can be copied into any folder on $env:PSModulePath.
Package  Build, then out/HeadlessVm.<version>.nupkg made by PSResourceGet's Compress-PSResource, which
         Install-PSResource installs from a local folder repository (Register-PSResourceRepository -Uri <folder>).
Test     Build, then both suites: dotnet test (xunit), and tests/pester with Invoke-Pester in a new
         'pwsh -NoProfile' (Pester 5 is downloaded into out/test-modules the first time). Prints each
         suite's totals and fails when any test fails. Needs pwsh on PATH. Neither suite can hang: a test
         that runs longer than -HangTimeoutMinutes fails the run naming it (dotnet test's blame-hang),
         and a Pester run longer than -PesterTimeoutMinutes is killed, naming the test that was running.
Clean    Removes out/, artifacts/ and the generated en-US/ help, and runs dotnet clean.

.EXAMPLE
./build.ps1

.EXAMPLE
./build.ps1 -Task Test

.EXAMPLE
./build.ps1 -Task Package -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Where the module folder and the package go.
    [string] $OutputPath = (Join-Path $PSScriptRoot 'out'),

    # Lay out and package what the last 'dotnet build' left in artifacts/module, without building again.
    [switch] $NoBuild,

    # Test: how long one xunit test may run before dotnet test aborts the run and names it.
    [ValidateRange(1, 120)]
    [int] $HangTimeoutMinutes = 10,

    # Test: how long the whole Pester run may take before it is killed and the running test is named.
    [ValidateRange(1, 240)]
    [int] $PesterTimeoutMinutes = 20
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$root = $PSScriptRoot
$rootManifest = Join-Path $root 'HeadlessVm.psd1'
$buildOutput = Join-Path $root 'artifacts/module'
$manifestData = Import-PowerShellDataFile -LiteralPath $rootManifest
$version = $manifestData.ModuleVersion
$moduleFolder = Join-Path $OutputPath "HeadlessVm/$version"

# What ships: the module assembly, what it needs at run time, and never System.Management.Automation.dll
# (pwsh brings its own).
$shippedFiles = 'HeadlessVm.dll', 'HeadlessVm.Core.dll', 'CliWrap.dll', 'HeadlessVm.Format.ps1xml'

function Invoke-Native([string] $Program, [string[]] $Arguments) {
    Write-Verbose "Running: $Program $($Arguments -join ' ')"
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "'$Program $($Arguments -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Invoke-Build {
    if (-not $NoBuild) {
        Invoke-Native dotnet @('build', (Join-Path $root 'HeadlessVm.sln'), '--configuration', $Configuration, '--nologo')
    }

    if (Test-Path -LiteralPath $moduleFolder) {
        Remove-Item -LiteralPath $moduleFolder -Recurse -Force
    }
    $null = New-Item -ItemType Directory -Path (Join-Path $moduleFolder 'en-US') -Force

    foreach ($file in $shippedFiles) {
        Copy-Item -LiteralPath (Join-Path $buildOutput $file) -Destination $moduleFolder
    }
    Copy-Item -Path (Join-Path $buildOutput 'en-US/*') -Destination (Join-Path $moduleFolder 'en-US')

    # The packaged manifest is the root manifest with flat paths: the files sit beside it.
    $text = Get-Content -LiteralPath $rootManifest -Raw
    $text = $text -replace "(?m)^(\s*RootModule\s*=\s*)'[^']*'", "`$1'HeadlessVm.dll'"
    $text = $text -replace "(?m)^(\s*FormatsToProcess\s*=\s*)@\([^)]*\)", "`$1@('HeadlessVm.Format.ps1xml')"
    $text = $text -replace '(?s)^@\{\s*(#[^\n]*\n\s*)*', "@{`n    # Packaged by build.ps1 from the repository's HeadlessVm.psd1.`n    "
    Set-Content -LiteralPath (Join-Path $moduleFolder 'HeadlessVm.psd1') -Value $text -NoNewline -Encoding utf8NoBOM

    $null = Test-ModuleManifest -Path (Join-Path $moduleFolder 'HeadlessVm.psd1')
    Write-Host "Module folder: $moduleFolder"
}

function Invoke-Package {
    $package = Join-Path $OutputPath "HeadlessVm.$version.nupkg"
    if (Test-Path -LiteralPath $package) {
        Remove-Item -LiteralPath $package -Force
    }

    # PSResourceGet writes the .nuspec from the manifest and packs the folder, as Publish-PSResource
    # does for a gallery, without registering a repository in the user's settings.
    if (-not (Get-Command Compress-PSResource -ErrorAction SilentlyContinue)) {
        throw 'Packaging needs Compress-PSResource, from Microsoft.PowerShell.PSResourceGet 1.1 or later (pwsh 7.5 and later ship it; or Install-PSResource Microsoft.PowerShell.PSResourceGet).'
    }
    Compress-PSResource -Path $moduleFolder -DestinationPath $OutputPath
    Write-Host "Package: $package"
    Get-Item -LiteralPath $package
}

# The Pester that the tests run with: pinned, and kept under out/ so that the user's own module folders
# are never touched. The NuGet package carries the module under tools/; a throwaway restore outside the
# repository (whose Directory.*.props would apply) downloads it.
$pesterVersion = '5.9.1'
$testModules = Join-Path $OutputPath 'test-modules'

function Install-TestPester {
    $target = Join-Path $testModules "Pester/$pesterVersion"
    if (Test-Path -LiteralPath (Join-Path $target 'Pester.psd1')) {
        return
    }

    $work = (New-Item -ItemType Directory -Path (Join-Path ([System.IO.Path]::GetTempPath()) "hvm-pester-$([guid]::NewGuid().ToString('n'))")).FullName
    try {
        Set-Content -LiteralPath (Join-Path $work 'download.csproj') -Encoding utf8NoBOM -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$pesterVersion]" /></ItemGroup>
</Project>
"@
        $packages = Join-Path $work 'packages'
        Invoke-Native dotnet @('restore', (Join-Path $work 'download.csproj'), '--packages', $packages, '--nologo', '--verbosity', 'quiet')
        $null = New-Item -ItemType Directory -Path (Split-Path $target) -Force
        Copy-Item -LiteralPath (Join-Path $packages "pester/$pesterVersion/tools") -Destination $target -Recurse
        Write-Host "Pester ${pesterVersion}: $target"
    }
    finally {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# dotnet test's TRX files: one per test project, each with a <Counters> summary.
function Get-XunitTotal([string] $Folder) {
    $totals = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0; Files = 0 }
    foreach ($file in Get-ChildItem -LiteralPath $Folder -Filter '*.trx' -ErrorAction SilentlyContinue) {
        $counters = ([xml](Get-Content -LiteralPath $file.FullName -Raw)).TestRun.ResultSummary.Counters
        $totals.Passed += [int]$counters.passed
        $totals.Failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        $totals.Skipped += [int]$counters.notExecuted
        $totals.Files++
    }
    [pscustomobject]$totals
}

# Runs a program, printing its output as it comes, for at most -Minutes; returns its exit code. One that
# runs longer is killed with its children, and the last Pester start marker it printed ("[|] name...",
# Debug.ShowStartMarkers) names the test that was running.
function Invoke-Bounded([string] $Program, [string[]] $Arguments, [int] $Minutes) {
    $start = [System.Diagnostics.ProcessStartInfo]::new($Program)
    foreach ($argument in $Arguments) { $start.ArgumentList.Add($argument) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $errors = $process.StandardError.ReadToEndAsync()
        $deadline = [DateTime]::UtcNow.AddMinutes($Minutes)
        $running = $null
        $line = $process.StandardOutput.ReadLineAsync()
        while ($true) {
            if ($line.Wait(500)) {
                if ($null -eq $line.Result) { break }
                Write-Host $line.Result
                if ($line.Result -match '^\s*\[\|\] (.*)\.\.\.$') { $running = $Matches[1] }
                elseif ($line.Result -match '^\s*\[[-+!?]\] ') { $running = $null }
                $line = $process.StandardOutput.ReadLineAsync()
            }
            elseif ([DateTime]::UtcNow -gt $deadline) {
                $process.Kill($true)
                $null = $process.WaitForExit(30000)
                $what = if ($running) { "the test '$running' was running" } else { 'no test was running (a BeforeAll or AfterAll hung)' }
                Write-Host "Pester did not finish within $Minutes min and was killed: $what."
                return 124
            }
        }
        $process.WaitForExit()
        if ($errors.Wait(30000) -and $errors.Result) { [Console]::Error.Write($errors.Result) }
        return $process.ExitCode
    }
    finally {
        $process.Dispose()
    }
}

function Invoke-Test {
    # The tests start pwsh themselves (build.ps1, the examples, a second shell, PSResourceGet): the
    # pwsh on PATH, which is also the one that runs the Pester suite.
    $pwsh = Get-Command pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $pwsh) {
        throw 'pwsh is not on PATH, and the tests run it (setup/prerequisites.sh installs it as a dotnet tool into ~/.dotnet/tools; add that folder to PATH).'
    }
    Install-TestPester

    $results = Join-Path $OutputPath 'TestResults'
    if (Test-Path -LiteralPath $results) {
        Remove-Item -LiteralPath $results -Recurse -Force
    }
    $testProjects = @(Get-ChildItem -Path (Join-Path $root 'tests/*/*.Tests.csproj'))

    # Between the tests' own state folders, and in anything they start without one, HEADLESSVM_HOME names
    # a folder nobody can create: a stray module call fails instead of using the user's own store.
    $savedHome = $env:HEADLESSVM_HOME
    $env:HEADLESSVM_HOME = '/proc/headlessvm-tests-no-store'

    # xunit: the core, and the cmdlets hosted in-process. Its failure does not stop the Pester run: a
    # reader gets both suites' totals. A test that hangs aborts the run with its name (blame-hang; no dump).
    & dotnet test (Join-Path $root 'HeadlessVm.sln') --configuration $Configuration --no-build --nologo `
        --logger trx --results-directory (Join-Path $results 'xunit') `
        --blame-hang-timeout "$($HangTimeoutMinutes)m" --blame-hang-dump-type none
    $xunitExit = $LASTEXITCODE
    $xunit = Get-XunitTotal (Join-Path $results 'xunit')

    # Pester, in a new pwsh so that the tests import the built module fresh, as a user's shell would.
    $pesterResult = Join-Path $results 'pester.json'
    $savedModulePath = $env:PSModulePath
    $env:PSModulePath = $testModules + [System.IO.Path]::PathSeparator + $env:PSModulePath
    try {
        $pesterExit = Invoke-Bounded $pwsh.Source @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tests/pester/Invoke-PesterSuite.ps1'),
            '-ModuleManifest', (Join-Path $moduleFolder 'HeadlessVm.psd1'), '-PesterVersion', $pesterVersion, '-ResultPath', $pesterResult) `
            -Minutes $PesterTimeoutMinutes
    }
    finally {
        $env:PSModulePath = $savedModulePath
        $env:HEADLESSVM_HOME = $savedHome
    }
    $pester = if (Test-Path -LiteralPath $pesterResult) { Get-Content -LiteralPath $pesterResult -Raw | ConvertFrom-Json }

    Write-Host ''
    $failed = $false
    if ($xunit.Files -ne $testProjects.Count) {
        Write-Host "xunit: $($xunit.Files) of $($testProjects.Count) test projects reported results (dotnet test exit code $xunitExit)."
        $failed = $true
    }
    Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed, $($xunit.Skipped) skipped"
    if ($pester) {
        Write-Host "Pester: $($pester.Passed) passed, $($pester.Failed) failed, $($pester.Skipped) skipped"
    }
    else {
        Write-Host "Pester: no results (exit code $pesterExit)."
    }
    $passed = $xunit.Passed + $(if ($pester) { $pester.Passed } else { 0 })
    $failedCount = $xunit.Failed + $(if ($pester) { $pester.Failed } else { 0 })
    $skipped = $xunit.Skipped + $(if ($pester) { $pester.Skipped } else { 0 })
    Write-Host "total: $passed passed, $failedCount failed, $skipped skipped"
    if ($failed -or $xunitExit -ne 0 -or $pesterExit -ne 0) {
        throw "Tests failed (dotnet test exit code $xunitExit, Pester exit code $pesterExit)."
    }
}

function Invoke-Clean {
    foreach ($folder in $OutputPath, (Join-Path $root 'artifacts'), (Join-Path $root 'en-US')) {
        if (Test-Path -LiteralPath $folder) {
            Remove-Item -LiteralPath $folder -Recurse -Force
        }
    }
    Invoke-Native dotnet @('clean', (Join-Path $root 'HeadlessVm.sln'), '--configuration', $Configuration, '--nologo', '--verbosity', 'quiet')
}

$script:built = $false
function Invoke-BuildOnce {
    if (-not $script:built) {
        Invoke-Build
        $script:built = $true
    }
}

foreach ($step in $Task) {
    switch ($step) {
        'Clean' { Invoke-Clean; $script:built = $false }
        'Build' { Invoke-BuildOnce }
        'Package' { Invoke-BuildOnce; Invoke-Package }
        'Test' { Invoke-BuildOnce; Invoke-Test }
    }
}
