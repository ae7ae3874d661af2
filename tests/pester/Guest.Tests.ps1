# The test guest: boot media, Wait-HeadlessVm, the serial log, keys, a graceful shutdown.
Describe 'A real guest' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $guest = Get-TestGuest
        $ready = "^$($guest.Ready)$"
        # One guest booted from its kernel for the Its below; each waits until it is up (at once when it is).
        $null = New-HeadlessVm -Name p-g1 -MemoryMB 256 -Accelerator Tcg -Network None -KernelPath $guest.Kernel -InitrdPath $guest.Initrd -KernelArgument $guest.KernelArgs
    }

    AfterAll {
        Remove-TestState
    }

    It 'a kernel booted directly reaches the ready line, which Wait-HeadlessVm returns' {
        Wait-HeadlessVm -Name p-g1 -ForText $ready -TimeoutSec 180 | Should -BeExactly $guest.Ready
        Get-HeadlessVmSerialLog -Name p-g1 | Should -Contain $guest.Ready
    }

    It 'Send-HeadlessVmKey types text that the guest reads' {
        $null = Wait-HeadlessVm -Name p-g1 -ForText $ready -TimeoutSec 180
        Send-HeadlessVmKey -Name p-g1 -Text "Hello`n"
        Wait-HeadlessVm -Name p-g1 -ForText "^$($guest.KeyPrefix)Hello$" -TimeoutSec 60 | Should -BeExactly "$($guest.KeyPrefix)Hello"
    }

    It 'a wait that times out is a SerialTextWaitTimeout error' {
        { Wait-HeadlessVm -Name p-g1 -ForText 'this never appears' -TimeoutSec 2 -ErrorAction Stop } | Should -Throw -ErrorId 'SerialTextWaitTimeout,*'
        (Get-HeadlessVm -Name p-g1).State | Should -Be 'Running'
    }

    # Last: it ends the shared guest.
    It 'Stop-HeadlessVm shuts the guest down through ACPI without a fallback warning' {
        $null = Wait-HeadlessVm -Name p-g1 -ForText $ready -TimeoutSec 180
        Stop-HeadlessVm -Name p-g1 -TimeoutSec 60 -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
        (Get-HeadlessVm -Name p-g1).State | Should -Be 'Stopped'
    }

    It 'boots the ISO and waits for -For Running' {
        try {
            $null = New-HeadlessVm -Name p-iso -MemoryMB 256 -Accelerator Tcg -Network None -IsoPath $guest.Iso -NoStart
            Start-HeadlessVm -Name p-iso
            (Wait-HeadlessVm -Name p-iso -For Running -TimeoutSec 30 -PassThru).State | Should -Be 'Running'
            Wait-HeadlessVm -Name p-iso -ForText $ready -TimeoutSec 180 | Should -BeExactly $guest.Ready
        }
        finally {
            Remove-TestVm p-iso
        }
    }
}
