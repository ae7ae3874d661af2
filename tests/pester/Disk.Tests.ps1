# New-HeadlessVmDisk / Get-HeadlessVmDisk over qemu-img.
Describe 'Disk images' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
    }

    AfterAll {
        Remove-TestState
    }

    BeforeEach {
        # Each It gets its own folder, removed after it whatever happened.
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid().ToString('n')))).FullName
    }

    AfterEach {
        Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore
    }

    It 'New-HeadlessVmDisk creates a qcow2 image of the given size' {
        $disk = New-HeadlessVmDisk -Path (Join-Path $folder 'base.qcow2') -SizeGB 1
        $disk.Format | Should -Be 'qcow2'
        $disk.VirtualSize | Should -Be 1GB
        (Get-Item -LiteralPath (Join-Path $folder 'base.qcow2')).Length | Should -BeLessThan 1MB
    }

    It 'a backing image makes a linked clone of the same size' {
        $base = (New-HeadlessVmDisk -Path (Join-Path $folder 'base.qcow2') -SizeGB 1).Path
        $clone = New-HeadlessVmDisk -Path (Join-Path $folder 'clone.qcow2') -BackingPath $base
        $clone.BackingPath | Should -Be $base
        $clone.VirtualSize | Should -Be 1GB
    }

    It 'Get-ChildItem | Get-HeadlessVmDisk reads every image' {
        $null = New-HeadlessVmDisk -Path (Join-Path $folder 'a.qcow2') -SizeGB 1
        $null = New-HeadlessVmDisk -Path (Join-Path $folder 'b.qcow2') -SizeGB 2
        $disks = Get-ChildItem -Path $folder -Filter '*.qcow2' | Get-HeadlessVmDisk
        $disks | Should -HaveCount 2
        ($disks | Sort-Object Path).VirtualSize | Should -Be @(1GB, 2GB)
    }

    It 'an existing file is not overwritten without -Force: a DiskExists error' {
        $path = Join-Path $folder 'base.qcow2'
        $null = New-HeadlessVmDisk -Path $path -SizeGB 1
        { New-HeadlessVmDisk -Path $path -SizeGB 2 -ErrorAction Stop } | Should -Throw -ErrorId 'DiskExists,*'
        (Get-HeadlessVmDisk -Path $path).VirtualSize | Should -Be 1GB
    }
}
