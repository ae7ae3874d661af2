#Requires -Version 7.4
#Requires -Modules HeadlessVm
<#
.SYNOPSIS
Brings up a lab of VMs from a CSV file and prints the browser console URL of each.

.DESCRIPTION
Each row of the CSV is a VM: its columns (Name, MemoryMB, ProcessorCount, IsoPath, DiskPath, ...)
bind to the New-HeadlessVm parameters of the same names (several disks in one cell, joined by ';'). Relative media paths are looked up in
-MediaPath. Every VM gets a console bridge (websockify + noVNC); open the printed URL in a browser.

.EXAMPLE
./lab-from-csv.ps1 -CsvPath ./lab.csv -MediaPath ~/isos -NamePrefix lab1-
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The lab's VMs, one per row.
    [string] $CsvPath = (Join-Path $PSScriptRoot 'lab.csv'),

    # Where relative IsoPath / DiskPath values in the CSV are; by default the CSV's folder.
    [string] $MediaPath,

    # Put before every VM name, so that several labs can live side by side.
    [string] $NamePrefix = '',

    [ValidateSet('Auto', 'Kvm', 'Tcg')]
    [string] $Accelerator = 'Auto'
)

$ErrorActionPreference = 'Stop'
if (-not $MediaPath) { $MediaPath = Split-Path -Parent (Resolve-Path -LiteralPath $CsvPath) }

Import-Csv -LiteralPath $CsvPath |
    ForEach-Object {
        $_.Name = $NamePrefix + $_.Name
        if ($_.PSObject.Properties['IsoPath'] -and $_.IsoPath -and -not [System.IO.Path]::IsPathRooted($_.IsoPath)) { $_.IsoPath = Join-Path $MediaPath $_.IsoPath }
        if ($_.PSObject.Properties['DiskPath'] -and $_.DiskPath) {
            # Several disks are one cell joined by ';' (as Get-HeadlessVm | Export-Csv writes them).
            $_.DiskPath = @($_.DiskPath -split ';' | Where-Object { $_.Trim() } | ForEach-Object {
                    $disk = $_.Trim()
                    if ([System.IO.Path]::IsPathRooted($disk)) { $disk } else { Join-Path $MediaPath $disk }
                }) -join ';'
        }
        $_
    } |
    New-HeadlessVm -Accelerator $Accelerator |
    Start-VncBridge |
    Select-Object VmName, WebPort, @{ Name = 'ConsoleUrl'; Expression = { $_ | Get-VmConsoleUrl } }
