#Requires -Version 7.4
<#
.SYNOPSIS
Builds, tests and packages the HeadlessVm module.

.DESCRIPTION
Build    dotnet build, then lays out out/HeadlessVm/<version>/: the packaged manifest (flat paths), the
         assemblies (HeadlessVm.dll, HeadlessVm.Core.dll, CliWrap.dll), the format file and en-US help.
         That folder can be copied into any folder on $env:PSModulePath.
Package  Build, then out/HeadlessVm.<version>.nupkg, which Install-PSResource and Install-Module
         install from a local folder repository (Register-PSResourceRepository -Uri <folder>).
Test     Build, then dotnet test, then the Pester tests in tests/pester in a separate 'pwsh -NoProfile'
         when pwsh and Pester 5 are installed.
Clean    Removes out/, artifacts/ and the generated en-US/ help, and runs dotnet clean.

.EXAMPLE
./build.ps1

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
    [switch] $NoBuild
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

function New-NuSpec {
    $data = Import-PowerShellDataFile -LiteralPath (Join-Path $moduleFolder 'HeadlessVm.psd1')
    $psData = $data.PrivateData.PSData
    # PSResourceGet and PowerShellGet read what a package holds from these tags.
    $tags = @($psData.Tags) + 'PSModule' + 'PSIncludes_Cmdlet' +
        ($data.CmdletsToExport | ForEach-Object { "PSCmdlet_$_"; "PSCommand_$_" })
    $escape = { param($s) [System.Security.SecurityElement]::Escape([string]$s) }
    @"
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>HeadlessVm</id>
    <version>$($data.ModuleVersion)</version>
    <authors>$(& $escape $data.Author)</authors>
    <owners>$(& $escape $data.CompanyName)</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <licenseUrl>$(& $escape $psData.LicenseUri)</licenseUrl>
    <projectUrl>$(& $escape $psData.ProjectUri)</projectUrl>
    <description>$(& $escape $data.Description)</description>
    <releaseNotes>$(& $escape $psData.ReleaseNotes)</releaseNotes>
    <copyright>$(& $escape $data.Copyright)</copyright>
    <tags>$(& $escape ($tags -join ' '))</tags>
  </metadata>
</package>
"@
}

function Invoke-Package {
    $package = Join-Path $OutputPath "HeadlessVm.$version.nupkg"
    if (Test-Path -LiteralPath $package) {
        Remove-Item -LiteralPath $package -Force
    }

    # A .nupkg is an OPC zip: the .nuspec and the module's files at the root, plus the content types
    # and the relationship that names the .nuspec. Built with System.IO.Compression rather than
    # Compress-Archive, which reads '[Content_Types].xml' as a wildcard.
    $contentTypes = @'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="psd1" ContentType="application/octet" />
  <Default Extension="dll" ContentType="application/octet" />
  <Default Extension="ps1xml" ContentType="application/octet" />
  <Default Extension="xml" ContentType="application/octet" />
  <Default Extension="txt" ContentType="application/octet" />
</Types>
'@
    $rels = @'
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/HeadlessVm.nuspec" Id="R0" />
</Relationships>
'@
    $zip = [System.IO.Compression.ZipFile]::Open($package, [System.IO.Compression.ZipArchiveMode]::Create)
    try {
        $addText = {
            param($name, $content)
            $entry = $zip.CreateEntry($name)
            $writer = [System.IO.StreamWriter]::new($entry.Open(), [System.Text.UTF8Encoding]::new($false))
            try { $writer.Write($content) } finally { $writer.Dispose() }
        }
        & $addText '[Content_Types].xml' $contentTypes
        & $addText '_rels/.rels' $rels
        & $addText 'HeadlessVm.nuspec' (New-NuSpec)
        foreach ($file in Get-ChildItem -LiteralPath $moduleFolder -Recurse -File) {
            $name = [System.IO.Path]::GetRelativePath($moduleFolder, $file.FullName).Replace('\', '/')
            $null = [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $file.FullName, $name)
        }
    }
    finally {
        $zip.Dispose()
    }

    Write-Host "Package: $package"
    Get-Item -LiteralPath $package
}

function Invoke-Test {
    Invoke-Native dotnet @('test', (Join-Path $root 'HeadlessVm.sln'), '--configuration', $Configuration, '--nologo')

    $pwsh = Get-Command pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $pwsh) {
        Write-Warning 'pwsh is not on PATH: the Pester tests in tests/pester did not run.'
        return
    }

    $hasPester = & $pwsh.Source -NoProfile -NonInteractive -Command '[bool](Get-Module Pester -ListAvailable | Where-Object Version -ge ([version]"5.0"))'
    if ("$hasPester".Trim() -ne 'True') {
        Write-Warning 'Pester 5 is not installed (Install-PSResource Pester): the Pester tests in tests/pester did not run.'
        return
    }

    # A separate process, so that the tests import the built module fresh, as a user would.
    $env:HEADLESSVM_TEST_MODULE = Join-Path $moduleFolder 'HeadlessVm.psd1'
    try {
        $script = "`$c = New-PesterConfiguration; `$c.Run.Path = '$(Join-Path $root 'tests/pester')'; `$c.Run.Exit = `$true; `$c.Output.Verbosity = 'Detailed'; Invoke-Pester -Configuration `$c"
        Invoke-Native $pwsh.Source @('-NoProfile', '-NonInteractive', '-Command', $script)
    }
    finally {
        Remove-Item Env:HEADLESSVM_TEST_MODULE -ErrorAction SilentlyContinue
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
