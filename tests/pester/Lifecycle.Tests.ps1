# New / Get / Start / Stop / Suspend / Resume / Restart / Remove-HeadlessVm on real qemu (TCG).
Describe 'VM lifecycle' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
    }

    AfterAll {
        Remove-TestState
    }

    It 'New-HeadlessVm starts a VM that Get-HeadlessVm reports running' {
        $vm = New-HeadlessVm -Name p-life1 -MemoryMB 64 -Accelerator Tcg
        $vm.State | Should -Be 'Running'
        $vm.ProcessId | Should -BeGreaterThan 0
        (Get-HeadlessVm -Name p-life1).VncPort | Should -Be (5900 + $vm.VncDisplay)
    }

    It 'Suspend-HeadlessVm pauses it and Resume-HeadlessVm continues it' {
        (Suspend-HeadlessVm -Name p-life1 -PassThru).State | Should -Be 'Paused'
        (Resume-HeadlessVm -Name p-life1 -PassThru).State | Should -Be 'Running'
    }

    It 'New-HeadlessVm -Paused starts a VM whose CPUs wait for Resume-HeadlessVm' {
        (New-HeadlessVm -Name p-paused -MemoryMB 64 -Accelerator Tcg -Network None -Paused).State | Should -Be 'Paused'
        (Resume-HeadlessVm -Name p-paused -PassThru).State | Should -Be 'Running'
    }

    It 'Get-HeadlessVm | Stop-HeadlessVm stops every VM' {
        Get-HeadlessVm | Stop-HeadlessVm -TimeoutSec 2 -WarningAction SilentlyContinue
        Get-HeadlessVm | ForEach-Object { $_.State | Should -Be 'Stopped' }
    }

    It 'Start-HeadlessVm starts a stopped VM again' {
        (Start-HeadlessVm -Name p-life1 -PassThru).State | Should -Be 'Running'
    }

    It 'Import-Csv | New-HeadlessVm creates one VM per row' {
        $csv = Join-Path $TestDrive 'vms.csv'
        Set-Content -LiteralPath $csv -Value @('Name,MemoryMB,ProcessorCount', 'p-csv1,64,1', 'p-csv2,96,2')
        $vms = Import-Csv -LiteralPath $csv | New-HeadlessVm -NoStart
        ($vms.Name -join ',') | Should -BeExactly 'p-csv1,p-csv2'
        (Get-HeadlessVm -Name p-csv2).ProcessorCount | Should -Be 2
        (Get-HeadlessVm -Name p-csv2).MemoryMB | Should -Be 96
    }

    It 'a VM name that does not exist is a VmNotFound error' {
        { Get-HeadlessVm -Name p-nosuchvm -ErrorAction Stop } | Should -Throw -ErrorId 'VmNotFound,*'
    }

    It '-WhatIf changes nothing' {
        New-HeadlessVm -Name p-whatif -NoStart -WhatIf
        Get-HeadlessVm -Name 'p-whatif*' | Should -BeNullOrEmpty
    }

    It 'prints a table that fits 120 columns' {
        $lines = Get-HeadlessVm | Out-String -Width 120 -Stream
        $lines | Where-Object { $_.Length -gt 120 } | Should -BeNullOrEmpty
        ($lines | Where-Object { $_ -match '^Name\s+State' }) | Should -Match 'Name\s+State\s+CPUs\s+MemoryMB\s+VNC\s+Console\s+Uptime'
    }

    It 'Remove-HeadlessVm -Force removes running and stopped VMs' {
        Get-HeadlessVm | Remove-HeadlessVm -Force
        Get-HeadlessVm | Should -BeNullOrEmpty
    }
}
