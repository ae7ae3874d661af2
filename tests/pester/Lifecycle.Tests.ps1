# New / Get / Start / Stop / Suspend / Resume / Remove-HeadlessVm on real qemu (TCG), and a second shell.
Describe 'VM lifecycle' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
    }

    AfterAll {
        Remove-TestState
    }

    It 'New-HeadlessVm starts a VM that Get-HeadlessVm reports running' {
        try {
            $vm = New-HeadlessVm -Name p-life1 -MemoryMB 64 -Accelerator Tcg -Network None
            $vm.State | Should -Be 'Running'
            (Get-HeadlessVm -Name p-life1).ProcessId | Should -Be $vm.ProcessId
            # That process is the VM's qemu, and its VNC server answers on the address and port the VM reports.
            $argv = (Get-Content -LiteralPath "/proc/$($vm.ProcessId)/cmdline" -Raw).Split([char]0)
            $argv[[array]::IndexOf($argv, '-vnc') + 1] | Should -BeExactly "$($vm.VncAddress):$($vm.VncDisplay),password=on"
            $client = [System.Net.Sockets.TcpClient]::new()
            try {
                $client.ReceiveTimeout = 10000
                $client.Connect($vm.VncAddress, $vm.VncPort)
                $greeting = [byte[]]::new(12)
                $client.GetStream().ReadExactly($greeting, 0, 12)
                [System.Text.Encoding]::ASCII.GetString($greeting) | Should -Match '^RFB 003\.\d{3}\n$'
            }
            finally {
                $client.Dispose()
            }
        }
        finally {
            Remove-TestVm p-life1
        }
    }

    It 'Suspend-HeadlessVm pauses a VM and Resume-HeadlessVm continues it' {
        try {
            $null = New-HeadlessVm -Name p-susp -MemoryMB 64 -Accelerator Tcg -Network None
            (Suspend-HeadlessVm -Name p-susp -PassThru).State | Should -Be 'Paused'
            (Get-HeadlessVm -Name p-susp).State | Should -Be 'Paused'
            (Resume-HeadlessVm -Name p-susp -PassThru).State | Should -Be 'Running'
        }
        finally {
            Remove-TestVm p-susp
        }
    }

    It 'New-HeadlessVm -Paused starts a VM whose CPUs wait for Resume-HeadlessVm' {
        try {
            (New-HeadlessVm -Name p-paused -MemoryMB 64 -Accelerator Tcg -Network None -Paused).State | Should -Be 'Paused'
            (Resume-HeadlessVm -Name p-paused -PassThru).State | Should -Be 'Running'
        }
        finally {
            Remove-TestVm p-paused
        }
    }

    It 'Get-HeadlessVm | Stop-HeadlessVm stops every VM, and Start-HeadlessVm starts one again' {
        try {
            $vms = 'p-stop1', 'p-stop2' | ForEach-Object { New-HeadlessVm -Name $_ -MemoryMB 64 -Accelerator Tcg -Network None }
            # Firmware only: nothing answers the power button, so both are powered off after the timeout, with a warning each.
            Get-HeadlessVm | Stop-HeadlessVm -TimeoutSec 2 -WarningAction SilentlyContinue -WarningVariable warnings
            $warnings | Should -HaveCount 2
            (Get-HeadlessVm -Name 'p-stop*').State | Should -Be @('Stopped', 'Stopped')
            foreach ($vm in $vms) { Test-ProcessExited $vm.ProcessId | Should -BeTrue }

            (Start-HeadlessVm -Name p-stop1 -PassThru).State | Should -Be 'Running'
        }
        finally {
            Remove-TestVm 'p-stop*'
        }
    }

    It 'Import-Csv | New-HeadlessVm creates one VM per row' {
        try {
            $csv = Join-Path $TestDrive 'vms.csv'
            Set-Content -LiteralPath $csv -Value @('Name,MemoryMB,ProcessorCount', 'p-csv1,64,1', 'p-csv2,96,2')
            $vms = Import-Csv -LiteralPath $csv | New-HeadlessVm -NoStart
            ($vms.Name -join ',') | Should -BeExactly 'p-csv1,p-csv2'
            (Get-HeadlessVm -Name p-csv2).ProcessorCount | Should -Be 2
            (Get-HeadlessVm -Name p-csv2).MemoryMB | Should -Be 96
        }
        finally {
            Remove-TestVm 'p-csv*'
            Remove-Item -LiteralPath (Join-Path $TestDrive 'vms.csv') -ErrorAction Ignore
        }
    }

    It 'a VM name that does not exist is a VmNotFound error, and no object' {
        { Get-HeadlessVm -Name p-nosuchvm -ErrorAction Stop } | Should -Throw -ErrorId 'VmNotFound,*'
        Get-HeadlessVm -Name p-nosuchvm -ErrorAction SilentlyContinue -ErrorVariable errors | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $errors[0].TargetObject | Should -Be 'p-nosuchvm'
    }

    It '-WhatIf changes nothing' {
        try {
            New-HeadlessVm -Name p-whatif -NoStart -WhatIf | Should -BeNullOrEmpty
            { Get-HeadlessVm -Name p-whatif -ErrorAction Stop } | Should -Throw -ErrorId 'VmNotFound,*'
            Test-Path -LiteralPath (Join-Path $StateRoot 'vms/p-whatif') | Should -BeFalse
        }
        finally {
            Remove-TestVm 'p-whatif*'
        }
    }

    It 'prints a table that fits 120 columns' {
        try {
            $null = New-HeadlessVm -Name p-table -NoStart
            $lines = Get-HeadlessVm | Out-String -Width 120 -Stream
            $lines | Where-Object { $_.Length -gt 120 } | Should -BeNullOrEmpty
            ($lines | Where-Object { $_ -match '^Name\s+State' }) | Should -Match 'Name\s+State\s+CPUs\s+MemoryMB\s+VNC\s+Console\s+Uptime'
            ($lines | Where-Object { $_ -match '^p-table\s' }) | Should -Match '^p-table\s+Stopped\s'
        }
        finally {
            Remove-TestVm p-table
        }
    }

    It 'Remove-HeadlessVm -Force removes running and stopped VMs' {
        try {
            $running = New-HeadlessVm -Name p-rm1 -MemoryMB 64 -Accelerator Tcg -Network None
            $null = New-HeadlessVm -Name p-rm2 -NoStart
            Get-HeadlessVm -Name 'p-rm*' | Remove-HeadlessVm -Force
            Get-HeadlessVm -Name 'p-rm*' | Should -BeNullOrEmpty
            Wait-ProcessExited $running.ProcessId | Should -BeTrue
        }
        finally {
            Remove-TestVm 'p-rm*'
        }
    }

    It 'a new shell finds the VM that another shell made, and stops it' {
        try {
            # Two separate pwsh processes: neither is this one, and they share only the state folder.
            $made = Invoke-TestPwsh 'New-HeadlessVm -Name p-shell -MemoryMB 64 -Accelerator Tcg -Network None | ForEach-Object ProcessId'
            $made.Error | Should -BeNullOrEmpty
            $made.ExitCode | Should -Be 0
            $vmPid = [int]$made.Output[-1]

            $listed = Invoke-TestPwsh 'Get-HeadlessVm | ForEach-Object { "{0} {1} {2}" -f $_.Name, $_.State, $_.ProcessId }'
            $listed.Error | Should -BeNullOrEmpty
            $listed.Output | Should -Be "p-shell Running $vmPid"

            $stopped = Invoke-TestPwsh 'Get-HeadlessVm p-shell | Stop-HeadlessVm -Force -PassThru | ForEach-Object State'
            $stopped.Error | Should -BeNullOrEmpty
            $stopped.Output | Should -Be 'Stopped'
            Test-ProcessExited $vmPid | Should -BeTrue
            (Get-HeadlessVm -Name p-shell).State | Should -Be 'Stopped'
        }
        finally {
            Remove-TestVm p-shell
        }
    }
}
