#Requires -Version 7.4
<#
.SYNOPSIS
Starts the demo VM with its browser console and prints the console URL; -Remove stops and removes it.

.DESCRIPTION
The demo VM boots the small guest that tests/guest/build-guest.sh builds from Debian packages (cached in
~/.cache/headlessvm-test-guest). It lives in your default state folder ($env:HEADLESSVM_HOME, else
~/.local/state/headlessvm), like any VM you make. Run again, it starts the VM if it was stopped and
prints the URL again. setup/demo.sh runs this after installing what is missing and building.

.EXAMPLE
pwsh -NoProfile -File setup/demo.ps1
#>
[CmdletBinding()]
param(
    [string] $Name = 'demo',

    [switch] $Remove
)

$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $root 'HeadlessVm.psd1')

if ($Remove) {
    $vm = Get-HeadlessVm -Name $Name -ErrorAction Ignore
    if ($vm) {
        $null = $vm | Remove-HeadlessVm -Force
        Write-Host "Removed VM '$Name'."
    }
    else {
        Write-Host "There is no VM '$Name'."
    }
    return
}

$guest = & bash (Join-Path $root 'tests/guest/build-guest.sh') | Select-Object -Last 1
if ($LASTEXITCODE -ne 0) { throw 'tests/guest/build-guest.sh could not build the guest.' }

$vm = Get-HeadlessVm -Name $Name -ErrorAction Ignore
if (-not $vm) {
    $vm = New-HeadlessVm -Name $Name -IsoPath (Join-Path $guest 'guest.iso') -MemoryMB 256
}
elseif ($vm.State -eq 'Stopped') {
    $vm = Start-HeadlessVm -Name $Name -PassThru
}
elseif ($vm.State -eq 'Paused') {
    $vm = Resume-HeadlessVm -Name $Name -PassThru
}
if (-not (Get-VncBridge -Name $Name -ErrorAction Ignore | Where-Object State -eq 'Running')) {
    $null = Start-VncBridge -Name $Name
}
$url = Get-VmConsoleUrl -Name $Name

Write-Host @"

VM '$Name' is running (qemu PID $($vm.ProcessId), state in $(Split-Path -Parent (Split-Path -Parent $vm.StatePath))).
Open its screen in a browser on this machine (from another one: ssh -L $($url.Port):127.0.0.1:$($url.Port) <this host>):

"@
$url.AbsoluteUri
Write-Host @"

In pwsh:         Import-Module ./HeadlessVm.psd1; Get-HeadlessVm
Stop and remove: bash setup/demo.sh --remove
"@
