# New-HeadlessVmDisk / Get-HeadlessVmDisk over qemu-img.
Describe 'Disk images' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
    }

    AfterAll {
        Remove-TestState
    }

    It 'New-HeadlessVmDisk creates a qcow2 image of the given size' {
        $disk = New-HeadlessVmDisk -Path (Join-Path $TestDrive 'base.qcow2') -SizeGB 1
        $disk.Format | Should -Be 'qcow2'
        $disk.VirtualSize | Should -Be 1GB
    }

    It 'a backing image makes a linked clone' {
        $base = Join-Path $TestDrive 'base.qcow2'
        $clone = New-HeadlessVmDisk -Path (Join-Path $TestDrive 'clone.qcow2') -BackingPath $base
        $clone.BackingPath | Should -Be $base
    }

    It 'Get-ChildItem | Get-HeadlessVmDisk reads every image' {
        $disks = Get-ChildItem -Path $TestDrive -Filter '*.qcow2' | Get-HeadlessVmDisk
        $disks | Should -HaveCount 2
    }

    It 'an existing file is not overwritten without -Force' {
        { New-HeadlessVmDisk -Path (Join-Path $TestDrive 'base.qcow2') -SizeGB 2 -ErrorAction Stop } | Should -Throw
        (Get-HeadlessVmDisk -Path (Join-Path $TestDrive 'base.qcow2')).VirtualSize | Should -Be 1GB
    }
}
