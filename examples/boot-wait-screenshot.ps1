#Requires -Version 7.4
#Requires -Modules HeadlessVm
<#
.SYNOPSIS
Boots an ISO, waits until the guest prints a line on its serial console, takes a screenshot, shuts down.

.DESCRIPTION
A boot check for an image pipeline: did the new ISO come up, and what did its screen show? The VM is
shut down (ACPI power button, then power off after -ShutdownTimeoutSec) whatever happens, and its
record removed unless -Keep is given. Emits the screenshot file.

.EXAMPLE
./boot-wait-screenshot.ps1 -IsoPath ./debian-netinst.iso -WaitFor 'login:' -ScreenshotPath ./boot.png
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $IsoPath,

    # A regular expression the guest prints on its serial console when it is up.
    [string] $WaitFor = 'login:',

    [string] $Name = 'boot-check',

    [string] $ScreenshotPath = "./$Name.png",

    [int] $TimeoutSec = 300,

    [int] $ShutdownTimeoutSec = 60,

    [int] $MemoryMB = 1024,

    [ValidateSet('Auto', 'Kvm', 'Tcg')]
    [string] $Accelerator = 'Auto',

    # Keep the VM's record after the check (it is shut down either way).
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
$vm = New-HeadlessVm -Name $Name -IsoPath $IsoPath -MemoryMB $MemoryMB -Accelerator $Accelerator
try {
    $line = Wait-HeadlessVm -Name $vm.Name -ForText $WaitFor -TimeoutSec $TimeoutSec
    Write-Verbose "Guest is up: $line"
    Save-VmScreenshot -Name $vm.Name -Path $ScreenshotPath -Force
}
finally {
    Stop-HeadlessVm -Name $vm.Name -TimeoutSec $ShutdownTimeoutSec
    if (-not $Keep) { Remove-HeadlessVm -Name $vm.Name }
}
