# The scripts in examples/, against the test guest.
Describe 'Example scripts' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $guest = Get-TestGuest
        $examples = Join-Path $PSScriptRoot '../../examples'
    }

    AfterAll {
        Remove-TestState
    }

    It 'lab-from-csv.ps1 brings up three VMs with reachable consoles' {
        $lab = & (Join-Path $examples 'lab-from-csv.ps1') -MediaPath (Split-Path $guest.Iso) -NamePrefix p- -Accelerator Tcg
        $lab | Should -HaveCount 3
        foreach ($row in $lab) {
            (Invoke-WebRequest -Uri $row.ConsoleUrl -TimeoutSec 20).StatusCode | Should -Be 200
        }
    }

    It 'teardown.ps1 removes them all' {
        & (Join-Path $examples 'teardown.ps1') -NamePrefix p- -TimeoutSec 5 | Should -HaveCount 3
        Get-HeadlessVm | Should -BeNullOrEmpty
    }

    It 'boot-wait-screenshot.ps1 boots the ISO, saves a PNG and shuts down' {
        $png = Join-Path $TestDrive 'boot.png'
        $file = & (Join-Path $examples 'boot-wait-screenshot.ps1') -IsoPath $guest.Iso -Name p-boot -WaitFor "^$($guest.Ready)$" -ScreenshotPath $png -MemoryMB 256 -Accelerator Tcg
        $file.FullName | Should -Be $png
        Get-HeadlessVm | Should -BeNullOrEmpty
    }
}
