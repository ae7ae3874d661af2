#Requires -Version 7.4
#Requires -Modules HeadlessVm
<#
.SYNOPSIS
Stamps out linked copies of a template VM, checkpoints them before a risky change, and rolls back each VM the change broke.

.DESCRIPTION
Records a template VM on -BasePath (never started, so its disk stays as it is), makes -Count linked copies of it
(Copy-HeadlessVm -Linked: qcow2 overlays), starts them and waits for -WaitFor on each serial console. Then each VM
is checkpointed (memory and disks), -Change runs against it, and -Check decides whether it still works; a VM that
fails the check is restored to its checkpoint and keeps running from there. Emits one line per VM: VmName,
Passed, RolledBack. Tear the lab down with teardown.ps1 -NamePrefix.

.EXAMPLE
./checkpoint-rollback.ps1 -BasePath ./debian-base.qcow2 -NamePrefix up- -WaitFor 'login:' `
    -Change { param($vm) Send-HeadlessVmKey $vm -Text "apt-get -y full-upgrade`n" } `
    -Check { param($vm) Wait-HeadlessVm $vm -ForText 'upgrade done' -TimeoutSec 600 -ErrorAction SilentlyContinue }
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # A qcow2 image that boots; the template VM uses it and the copies overlay it.
    [Parameter(Mandatory)]
    [string] $BasePath,

    [ValidateRange(1, 64)]
    [int] $Count = 2,

    # The template is <prefix>template, the copies <prefix>1, <prefix>2, ...
    [string] $NamePrefix = 'lab-',

    [int] $MemoryMB = 1024,

    # A regular expression each guest prints on its serial console when it is up.
    [Parameter(Mandatory)]
    [string] $WaitFor,

    [int] $TimeoutSec = 300,

    [ValidateSet('Auto', 'Kvm', 'Tcg')]
    [string] $Accelerator = 'Auto',

    # Runs once per VM with its name: the change to try.
    [Parameter(Mandatory)]
    [scriptblock] $Change,

    # Runs once per VM with its name after the change: anything but $false or nothing means the VM still works.
    [Parameter(Mandatory)]
    [scriptblock] $Check
)

$ErrorActionPreference = 'Stop'
$template = "${NamePrefix}template"
$null = New-HeadlessVm -Name $template -DiskPath $BasePath -MemoryMB $MemoryMB -Accelerator $Accelerator -Network None -NoStart
$vms = foreach ($n in 1..$Count) {
    Copy-HeadlessVm -Name $template -NewName "$NamePrefix$n" -Linked -PassThru | Start-HeadlessVm -PassThru
}

foreach ($vm in $vms) {
    $null = Wait-HeadlessVm -Name $vm.Name -ForText $WaitFor -TimeoutSec $TimeoutSec
}

foreach ($vm in $vms) {
    Checkpoint-HeadlessVm -Name $vm.Name -SnapshotName 'before-change'
    $null = & $Change $vm.Name
    $passed = [bool](& $Check $vm.Name)
    if (-not $passed -and $PSCmdlet.ShouldProcess($vm.Name, 'Roll back to before-change')) {
        Restore-HeadlessVmSnapshot -Name $vm.Name -SnapshotName 'before-change' -Confirm:$false
    }

    [pscustomobject]@{ VmName = $vm.Name; Passed = $passed; RolledBack = -not $passed }
}
