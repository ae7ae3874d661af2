# The test guest: boot media, Wait-HeadlessVm, the serial log, keys, a graceful shutdown.
Describe 'A real guest' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $guest = Get-TestGuest
    }

    AfterAll {
        Remove-TestState
    }

    It 'boots a kernel directly and Wait-HeadlessVm returns the ready line' {
        New-HeadlessVm -Name p-g1 -MemoryMB 256 -Accelerator Tcg -KernelPath $guest.Kernel -InitrdPath $guest.Initrd -KernelArgument $guest.KernelArgs
        $line = Wait-HeadlessVm -Name p-g1 -ForText "^$($guest.Ready)$" -TimeoutSec 180
        $line | Should -BeExactly $guest.Ready
        Get-HeadlessVmSerialLog -Name p-g1 | Should -Contain $guest.Ready
    }

    It 'Send-HeadlessVmKey types text that the guest reads' {
        Send-HeadlessVmKey -Name p-g1 -Text "Hello`n"
        Wait-HeadlessVm -Name p-g1 -ForText "^$($guest.KeyPrefix)Hello$" -TimeoutSec 60 | Should -BeExactly "$($guest.KeyPrefix)Hello"
    }

    It 'a wait that times out is an OperationTimeout error' {
        { Wait-HeadlessVm -Name p-g1 -ForText 'this never appears' -TimeoutSec 2 -ErrorAction Stop } | Should -Throw -ErrorId 'SerialTextWaitTimeout,*'
    }

    It 'Stop-HeadlessVm shuts the guest down through ACPI without a fallback warning' {
        Stop-HeadlessVm -Name p-g1 -TimeoutSec 60 -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
        (Get-HeadlessVm -Name p-g1).State | Should -Be 'Stopped'
    }

    It 'boots the ISO and waits for -For Running' {
        New-HeadlessVm -Name p-iso -MemoryMB 256 -Accelerator Tcg -IsoPath $guest.Iso -NoStart
        Start-HeadlessVm -Name p-iso
        (Wait-HeadlessVm -Name p-iso -For Running -TimeoutSec 30 -PassThru).State | Should -Be 'Running'
        Wait-HeadlessVm -Name p-iso -ForText "^$($guest.Ready)$" -TimeoutSec 180 | Should -BeExactly $guest.Ready
    }
}
