# Checkpoint-HeadlessVm and Get-, Restore-, Remove-HeadlessVmSnapshot on real qemu and qemu-img.
Describe 'Checkpoints' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $guest = Get-TestGuest
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'disks')).FullName
    }

    AfterAll {
        Remove-TestVm 'p-ck*'
        Remove-TestState
    }

    It 'a running guest restored to a checkpoint forgets the line typed after it' {
        try {
            $disk = (New-HeadlessVmDisk -Path (Join-Path $folder 'run.qcow2') -SizeGB 1).Path
            $null = New-HeadlessVm -Name p-ck1 -MemoryMB 256 -Accelerator Tcg -Network None -DiskPath $disk `
                -KernelPath $guest.Kernel -InitrdPath $guest.Initrd -KernelArgument $guest.KernelArgs
            $null = Wait-HeadlessVm -Name p-ck1 -ForText "^$($guest.Ready)$" -TimeoutSec 180

            # One key waits unentered in the guest's tty line buffer (guest memory) when the checkpoint is taken.
            Send-HeadlessVmKey -Name p-ck1 -Text 'e'
            $checkpoint = Checkpoint-HeadlessVm -Name p-ck1 -SnapshotName before -PassThru
            $checkpoint.HasMemory | Should -BeTrue
            $checkpoint.VmStateSize | Should -BeGreaterThan 0

            Send-HeadlessVmKey -Name p-ck1 -Text "late`n"
            Wait-HeadlessVm -Name p-ck1 -ForText "^$($guest.KeyPrefix)elate$" -TimeoutSec 60 | Should -Not -BeNullOrEmpty

            Restore-HeadlessVmSnapshot -Name p-ck1 -SnapshotName before -Confirm:$false
            (Get-HeadlessVm -Name p-ck1).State | Should -Be 'Running'
            Send-HeadlessVmKey -Name p-ck1 -Text "again`n"
            Wait-HeadlessVm -Name p-ck1 -ForText "^$($guest.KeyPrefix)" -NewOutputOnly -TimeoutSec 60 | Should -BeExactly "$($guest.KeyPrefix)eagain"
        }
        finally {
            Remove-TestVm 'p-ck1'
        }
    }

    It 'a stopped VM lists, restores and removes disk-only checkpoints through the pipeline' {
        try {
            $disk = (New-HeadlessVmDisk -Path (Join-Path $folder 'cold.qcow2') -SizeGB 1).Path
            $null = New-HeadlessVm -Name p-ck2 -Accelerator Tcg -MemoryMB 64 -DiskPath $disk -NoStart
            Checkpoint-HeadlessVm -Name p-ck2 -SnapshotName one
            Checkpoint-HeadlessVm -Name p-ck2 -SnapshotName two
            $list = Get-HeadlessVmSnapshot -Name p-ck2
            $list.SnapshotName | Should -Be @('one', 'two')
            $list.HasMemory | Should -Be @($false, $false)
            ($list | Format-Table | Out-String) | Should -Match 'one'

            Get-HeadlessVmSnapshot p-ck2 one | Restore-HeadlessVmSnapshot -Confirm:$false -PassThru | ForEach-Object SnapshotName | Should -Be 'one'
            Get-HeadlessVmSnapshot p-ck2 | Remove-HeadlessVmSnapshot -Confirm:$false
            Get-HeadlessVmSnapshot -Name p-ck2 | Should -BeNullOrEmpty
        }
        finally {
            Remove-TestVm 'p-ck2'
        }
    }

    It 'a raw disk is DiskCannotSnapshot with the VM as target, and a name in use is SnapshotExists' {
        try {
            $raw = (New-HeadlessVmDisk -Path (Join-Path $folder 'r.img') -Format raw -SizeGB 1).Path
            $null = New-HeadlessVm -Name p-ck3 -Accelerator Tcg -MemoryMB 64 -DiskPath $raw -NoStart
            Checkpoint-HeadlessVm -Name p-ck3 -ErrorVariable e -ErrorAction SilentlyContinue
            $e[0].FullyQualifiedErrorId | Should -BeLike 'DiskCannotSnapshot,*'
            $e[0].TargetObject | Should -Be 'p-ck3'
            $e[0].Exception.Message | Should -BeLike "*$raw*"

            $q = (New-HeadlessVmDisk -Path (Join-Path $folder 'q.qcow2') -SizeGB 1).Path
            $null = New-HeadlessVm -Name p-ck4 -Accelerator Tcg -MemoryMB 64 -DiskPath $q -NoStart
            Checkpoint-HeadlessVm -Name p-ck4 -SnapshotName same
            Checkpoint-HeadlessVm -Name p-ck4 -SnapshotName same -ErrorVariable e2 -ErrorAction SilentlyContinue
            $e2[0].FullyQualifiedErrorId | Should -BeLike 'SnapshotExists,*'
            (Get-HeadlessVmSnapshot -Name p-ck4) | Should -HaveCount 1
        }
        finally {
            Remove-TestVm 'p-ck3', 'p-ck4'
        }
    }
}
