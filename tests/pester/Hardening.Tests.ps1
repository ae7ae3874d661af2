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

    It 'a lab is recreated under new names beside its originals, one of them running, through CSV and JSON' {
        $guest = Get-TestGuest
        $disk = Join-Path $TestDrive 'rt-db.qcow2'
        New-HeadlessVmDisk -Path $disk -SizeGB 1 | Out-Null
        # Two free host ports for the forwards: the original's, then the one the web copy moves to.
        $ports = foreach ($i in 1..2) { $l = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0); $l.Start(); $l.LocalEndpoint.Port; $l.Stop() }
        try {
            New-HeadlessVm -Name rt-web -MemoryMB 64 -ProcessorCount 2 -Accelerator Tcg -KernelPath $guest.Kernel -InitrdPath $guest.Initrd `
                -KernelArgument $guest.KernelArgs -PortForward "$($ports[0]):22" | Out-Null
            New-HeadlessVm -Name rt-db -MemoryMB 48 -Accelerator Tcg -DiskPath $disk -MacAddress 52-54-00-AA-BB-01 -NoStart | Out-Null
            $originals = 'rt-web', 'rt-db' | ForEach-Object { Get-HeadlessVm -Name $_ }
            $originals[0].State | Should -Be 'Running'

            $csv = Join-Path $TestDrive 'rt-lab.csv'
            $originals | Export-Csv -LiteralPath $csv
            $fromCsv = Import-Csv -LiteralPath $csv | ForEach-Object { $_.Name = "$($_.Name)-copy"; $_ } | New-HeadlessVm -NoStart -WarningVariable shared -WarningAction SilentlyContinue
            # What the copies share with the originals is said when they are made.
            $shared | Should -HaveCount 3
            "$($shared[0])" | Should -BeLike "VM 'rt-web-copy' forwards 127.0.0.1:$($ports[0])->22 as VM 'rt-web' does*"
            "$($shared[1])" | Should -BeLike "VM 'rt-db-copy' uses disk '$disk' as VM 'rt-db' does*"
            # rt-db's MAC was chosen, so the copy asks for it again: said too (rt-web's generated one is made anew).
            "$($shared[2])" | Should -BeLike "VM 'rt-db-copy' has MAC address 52:54:00:aa:bb:01 as VM 'rt-db' does*"
            $fromJson = $originals | ConvertTo-Json | ConvertFrom-Json | ForEach-Object { $_.Name = "$($_.Name)-json"; $_ } | New-HeadlessVm -NoStart -WarningAction SilentlyContinue
            ($fromCsv.Name + $fromJson.Name) -join ',' | Should -BeExactly 'rt-web-copy,rt-db-copy,rt-web-json,rt-db-json'

            $settings = 'MemoryMB', 'ProcessorCount', 'Cpu', 'Architecture', 'Accelerator', 'VncAddress', 'DiskPath', 'DiskFormat', 'KernelPath', 'InitrdPath',
                'KernelArgument', 'BootOrder', 'Network', 'PortForward', 'ExtraArgument'
            foreach ($copy in $fromCsv + $fromJson) {
                $original = $originals | Where-Object Name -EQ ($copy.Name -replace '-(copy|json)$')
                foreach ($setting in $settings) {
                    "$($copy.$setting)" | Should -BeExactly "$($original.$setting)" -Because "$($copy.Name).$setting"
                }
                # The display the module picked is picked anew; every VM has its own.
                $copy.VncDisplayPicked | Should -BeTrue
            }
            (@($originals + $fromCsv + $fromJson).VncDisplay | Sort-Object -Unique) | Should -HaveCount 6
            # The MAC the module generated is generated anew; the one the user gave is asked for again (each VM's
            # user-mode network is its own, so the two do not meet).
            $originals[0].MacAddressGenerated | Should -BeTrue
            ($originals[0].MacAddress, $fromCsv[0].MacAddress, $fromJson[0].MacAddress | Sort-Object -Unique) | Should -HaveCount 3
            "$($fromCsv[1].MacAddress),$($fromJson[1].MacAddress)" | Should -BeExactly '52:54:00:aa:bb:01,52:54:00:aa:bb:01'
            $fromCsv[1].MacAddressGenerated | Should -BeFalse

            # Starting the copies: the web copy's forward is the running original's, which the error names.
            $err = { Start-HeadlessVm -Name rt-web-copy -ErrorAction Stop } | Should -Throw -ErrorId 'PortForwardInUse,*' -PassThru
            $err.Exception.Message | Should -Match "127\.0\.0\.1:$($ports[0])->22: VM 'rt-web' is running"
            (Get-HeadlessVm -Name rt-web-copy).State | Should -Be 'Stopped'
            # Given a port of its own, it runs beside its original.
            Set-HeadlessVm -Name rt-web-copy -PortForward "$($ports[1]):22"
            $webCopy = Start-HeadlessVm -Name rt-web-copy -PassThru
            $webCopy.State | Should -Be 'Running'
            $webCopy.ProcessId | Should -Not -Be (Get-HeadlessVm -Name rt-web).ProcessId
            # The db copy starts on the original's disk (the original is stopped); then the original is refused, naming the disk and the copy.
            (Start-HeadlessVm -Name rt-db-copy -Paused -PassThru).State | Should -Be 'Paused'
            $err = { Start-HeadlessVm -Name rt-db -ErrorAction Stop } | Should -Throw -ErrorId 'DiskInUse,*' -PassThru
            $err.Exception.Message | Should -Match ([regex]::Escape("its disk '$disk' is in use by VM 'rt-db-copy'"))
            (Get-HeadlessVm -Name rt-db).State | Should -Be 'Stopped'
        }
        finally {
            Remove-TestVm 'rt-*'
        }
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
