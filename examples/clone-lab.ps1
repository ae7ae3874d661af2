#Requires -Version 7.4
#Requires -Modules HeadlessVm
<#
.SYNOPSIS
Makes VMs from linked clones of a base disk image, starts them and waits until each is up.

.DESCRIPTION
Each VM gets its own qcow2 clone of -BasePath (New-HeadlessVmDisk -BackingPath): the clone records only
what that VM writes, and the base image is only read. With -WaitFor, waits until every VM prints a line
matching it on its serial console. Emits the VMs. Tear them down with teardown.ps1 -NamePrefix.

.EXAMPLE
./clone-lab.ps1 -BasePath ./debian-base.qcow2 -Count 3 -NamePrefix ci- -WaitFor 'login:'
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [string] $BasePath,

    [ValidateRange(1, 64)]
    [int] $Count = 2,

    # The VMs are <prefix>1, <prefix>2, ...; their disks <prefix>N.qcow2 in -DiskFolder.
    [string] $NamePrefix = 'clone',

    [string] $DiskFolder = '.',

    [int] $MemoryMB = 1024,

    # A regular expression each guest prints on its serial console when it is up.
    [string] $WaitFor,

    [int] $TimeoutSec = 300,

    [ValidateSet('Auto', 'Kvm', 'Tcg')]
    [string] $Accelerator = 'Auto'
)

$ErrorActionPreference = 'Stop'
$vms = foreach ($n in 1..$Count) {
    $name = "$NamePrefix$n"
    $disk = New-HeadlessVmDisk -Path (Join-Path $DiskFolder "$name.qcow2") -BackingPath $BasePath
    New-HeadlessVm -Name $name -DiskPath $disk.Path -MemoryMB $MemoryMB -Accelerator $Accelerator
}

if ($WaitFor) {
    $vms | Wait-HeadlessVm -ForText $WaitFor -TimeoutSec $TimeoutSec | Out-Null
}

$vms | Get-HeadlessVm
