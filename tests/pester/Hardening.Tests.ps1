# Values from files, round trips, delay-bind script blocks and damaged records (issue 15), on real qemu.
Describe 'Input from files and damaged state' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
    }

    AfterAll {
        Remove-TestState
    }

    It 'empty VncDisplay cells are not given, so each row gets its own display' {
        $vms = 'Name,VncDisplay,MemoryMB', 'p-e1,,128', 'p-e2,,128' | ConvertFrom-Csv | New-HeadlessVm -NoStart
        $vms | Should -HaveCount 2
        $vms[0].VncDisplay | Should -Not -Be $vms[1].VncDisplay
    }

    It 'a NoStart column is read as yes/no text' {
        $vms = 'Name,NoStart,MemoryMB', 'p-n1,true,32', 'p-n2,1,32' | ConvertFrom-Csv | New-HeadlessVm
        ($vms.State -join ',') | Should -BeExactly 'Stopped,Stopped'
    }

    It "a size of '1,5' GB is refused, not read as 15" {
        { New-HeadlessVmDisk -Path (Join-Path $TestDrive 'x.qcow2') -SizeGB '1,5' -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError*'
        (New-HeadlessVmDisk -Path (Join-Path $TestDrive 'y.qcow2') -SizeGB '1.5').VirtualSize | Should -Be 1610612736
    }

    It 'a lab exported with Export-Csv is recreated by Import-Csv | New-HeadlessVm' {
        New-HeadlessVm -Name p-lab -NoStart -MemoryMB 48 -PortForward '2223:22', '2224:23' -ExtraArgument '-no-hpet' | Out-Null
        $csv = Join-Path $TestDrive 'lab.csv'
        Get-HeadlessVm -Name p-lab | Export-Csv -LiteralPath $csv
        Remove-HeadlessVm -Name p-lab
        $vm = Import-Csv -LiteralPath $csv | New-HeadlessVm -NoStart
        $vm.MemoryMB | Should -Be 48
        $vm.PortForward.ToString() | Should -BeExactly '127.0.0.1:2223->22;127.0.0.1:2224->23'
        $vm.ExtraArgument.ToString() | Should -BeExactly '-no-hpet'
    }

    It 'Save-VmScreenshot -Path takes one file per VM from a script block' {
        New-HeadlessVm -Name p-shot -MemoryMB 32 -Network None -Paused | Out-Null
        $file = Get-HeadlessVm -Name p-shot | Save-VmScreenshot -Path { Join-Path $TestDrive "$($_.Name).png" }
        $file.Name | Should -BeExactly 'p-shot.png'
        Stop-HeadlessVm -Name p-shot -Force
    }

    It 'a damaged vm.json is one VmRecordDamaged error and Remove-HeadlessVm -Force removes it' {
        New-HeadlessVm -Name p-bad -NoStart -MemoryMB 32 | Out-Null
        Set-Content -LiteralPath (Join-Path $env:HEADLESSVM_HOME 'vms/p-bad/vm.json') -Value '' -NoNewline
        $listed = Get-HeadlessVm -ErrorVariable damaged -ErrorAction SilentlyContinue
        $damaged | Should -HaveCount 1
        $damaged[0].FullyQualifiedErrorId | Should -Match '^VmRecordDamaged,'
        ($listed.Name -contains 'p-lab') | Should -Be $true
        Remove-HeadlessVm -Name p-bad -Force
        Get-HeadlessVm -Name 'p-bad*' | Should -BeNullOrEmpty
    }
}
