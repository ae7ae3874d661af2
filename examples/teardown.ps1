#Requires -Version 7.4
#Requires -Modules HeadlessVm
<#
.SYNOPSIS
Tears a lab down: stops its console bridges and its VMs, and removes the VMs.

.DESCRIPTION
Acts on every VM and bridge whose name starts with -NamePrefix (all of them when it is empty).
Guests get -TimeoutSec to shut down on the ACPI power button before they are powered off.
Disk images and ISOs are never deleted. Use -WhatIf to see what would go.

.EXAMPLE
./teardown.ps1 -NamePrefix lab1- -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string] $NamePrefix = '',

    [int] $TimeoutSec = 30
)

$ErrorActionPreference = 'Stop'
$pattern = [System.Management.Automation.WildcardPattern]::Escape($NamePrefix) + '*'

# Bridges first: a bridge for a -Target VNC server follows no VM.
Get-VncBridge | Where-Object Name -like $pattern | Stop-VncBridge
$vms = @(Get-HeadlessVm -Name $pattern)
$vms | Where-Object State -ne 'Stopped' | Stop-HeadlessVm -TimeoutSec $TimeoutSec

# Emits each removed VM as it was before it went.
$vms | Remove-HeadlessVm -Force -PassThru
