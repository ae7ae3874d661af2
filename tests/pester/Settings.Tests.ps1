# Set-HeadlessVm and Rename-HeadlessVm on real qemu.
Describe 'Changing VMs' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $guest = Get-TestGuest
    }

    AfterAll {
        Remove-TestVm 'p-set*'
        Remove-TestState
    }

    It 'a stopped VM takes new memory and processors and is renamed with its folder' {
        try {
            $null = New-HeadlessVm -Name p-set1 -Accelerator Tcg -MemoryMB 64 -NoStart
            $vm = Set-HeadlessVm -Name p-set1 -MemoryMB 96 -ProcessorCount 2 -PassThru
            $vm.MemoryMB | Should -Be 96
            $vm.ProcessorCount | Should -Be 2
            Get-HeadlessVm p-set1 | Rename-HeadlessVm -NewName p-set2
            (Get-HeadlessVm -Name p-set2).MemoryMB | Should -Be 96
            Get-HeadlessVm -Name p-set1 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally {
            Remove-TestVm 'p-set1', 'p-set2'
        }
    }

    It 'a running VM opens a port forward live and refuses a memory change, changing nothing' {
        try {
            $null = New-HeadlessVm -Name p-set3 -MemoryMB 256 -Accelerator Tcg -KernelPath $guest.Kernel -InitrdPath $guest.Initrd -KernelArgument $guest.KernelArgs
            $null = Wait-HeadlessVm -Name p-set3 -ForText "^$($guest.Ready)$" -TimeoutSec 180
            # A port the kernel picks, free now (issue 16: no fixed ports).
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            Set-HeadlessVm -Name p-set3 -PortForward "$($port):80"
            (Invoke-WebRequest -Uri http://127.0.0.1:$port/ -TimeoutSec 20).Content | Should -Match 'HEADLESSVM-GUEST-HTTP'

            Set-HeadlessVm -Name p-set3 -MemoryMB 512 -PortForward @() -ErrorVariable e -ErrorAction SilentlyContinue
            $e[0].FullyQualifiedErrorId | Should -BeLike 'VmMustBeStopped,*'
            $e[0].TargetObject | Should -Be 'p-set3'
            $vm = Get-HeadlessVm -Name p-set3
            $vm.MemoryMB | Should -Be 256
            @($vm.PortForward) | Should -Be @("127.0.0.1:$($port)->80")
        }
        finally {
            Remove-TestVm 'p-set3'
        }
    }

    It 'Copy-HeadlessVm makes a full copy with its own disk and a linked copy on an overlay' {
        try {
            $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'copies')).FullName
            $disk = (New-HeadlessVmDisk -Path (Join-Path $folder 'src.qcow2') -SizeGB 1).Path
            $null = New-HeadlessVm -Name p-set4 -Accelerator Tcg -MemoryMB 64 -DiskPath $disk -NoStart
            $full = Copy-HeadlessVm -Name p-set4 -NewName p-set5 -PassThru
            @($full.DiskPath) | Should -Be @(Join-Path $folder 'p-set5-src.qcow2')
            (Get-HeadlessVmDisk -Path $full.DiskPath[0]).BackingPath | Should -BeNullOrEmpty
            $linked = Copy-HeadlessVm -Name p-set4 -NewName p-set6 -Linked -PassThru
            (Get-HeadlessVmDisk -Path $linked.DiskPath[0]).BackingPath | Should -Be $disk
            $linked.MacAddress | Should -Not -Be (Get-HeadlessVm -Name p-set4).MacAddress

            Copy-HeadlessVm -Name p-set4 -NewName p-set5 -ErrorVariable e -ErrorAction SilentlyContinue
            $e[0].FullyQualifiedErrorId | Should -BeLike 'VmAlreadyExists,*'
        }
        finally {
            Remove-TestVm 'p-set4', 'p-set5', 'p-set6'
        }
    }
}
