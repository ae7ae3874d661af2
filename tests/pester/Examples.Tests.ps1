# The scripts in examples/, run as a user runs them, against real qemu (TCG), the test guest and websockify.
Describe 'Example scripts' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $guest = Get-TestGuest
        $examples = Join-Path $PSScriptRoot '../../examples'
        $ready = "^$($guest.Ready)$"
    }

    AfterAll {
        Remove-TestState
    }

    It 'lab-from-csv.ps1 brings up three VMs with reachable consoles; teardown.ps1 -WhatIf changes nothing, teardown.ps1 removes them all' {
        try {
            $lab = & (Join-Path $examples 'lab-from-csv.ps1') -MediaPath $guest.Folder -NamePrefix p- -Accelerator Tcg
            ($lab.VmName | Sort-Object) | Should -Be @('p-cache', 'p-db', 'p-web')
            (Get-HeadlessVm -Name 'p-*').State | Should -Be @('Running', 'Running', 'Running')
            foreach ($row in $lab) {
                $row.ConsoleUrl.Host | Should -Be '127.0.0.1'
                $row.ConsoleUrl.Query | Should -Match 'autoconnect=1'
                $response = Invoke-WebRequest -Uri $row.ConsoleUrl -TimeoutSec 20
                $response.StatusCode | Should -Be 200
                $response.Content | Should -Match 'noVNC'
            }
            $processes = @((Get-HeadlessVm -Name 'p-*').ProcessId) + @((Get-VncBridge).ProcessId) | Sort-Object -Unique

            # -WhatIf passes through the script to every cmdlet.
            & (Join-Path $examples 'teardown.ps1') -NamePrefix p- -WhatIf
            (Get-HeadlessVm -Name 'p-*').State | Should -Be @('Running', 'Running', 'Running')
            (Get-VncBridge).State | Should -Be @('Running', 'Running', 'Running')
            foreach ($id in $processes) { Test-ProcessExited $id | Should -BeFalse -Because "process $id should still run after -WhatIf" }

            $removed = & (Join-Path $examples 'teardown.ps1') -NamePrefix p- -TimeoutSec 5 -WarningAction SilentlyContinue
            ($removed.Name | Sort-Object) | Should -Be @('p-cache', 'p-db', 'p-web')
            Get-HeadlessVm | Should -BeNullOrEmpty
            Get-VncBridge | Should -BeNullOrEmpty
            foreach ($id in $processes) { Wait-ProcessExited $id | Should -BeTrue -Because "process $id (qemu or websockify) should have exited" }
        }
        finally {
            Remove-TestVm 'p-*'
        }
    }

    It 'boot-wait-screenshot.ps1 boots the ISO, waits for the line, saves a PNG and shuts down through ACPI' {
        $png = Join-Path $TestDrive 'boot.png'
        try {
            $streams = & (Join-Path $examples 'boot-wait-screenshot.ps1') -IsoPath $guest.Iso -Name p-boot -WaitFor $ready -ScreenshotPath $png -MemoryMB 256 -Accelerator Tcg -TimeoutSec 180 -Verbose 3>&1 4>&1
            $file = $streams | Where-Object { $_ -is [System.IO.FileInfo] }
            $file.FullName | Should -Be $png
            $bytes = [System.IO.File]::ReadAllBytes($png)
            $bytes.Length | Should -BeGreaterThan 1000
            [System.Text.Encoding]::ASCII.GetString($bytes, 1, 3) | Should -BeExactly 'PNG'
            ($streams | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain "Guest is up: $($guest.Ready)"
            # The guest powered off on the ACPI button: no "had to power off" warning.
            $streams | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | Should -BeNullOrEmpty
            # Removed (no -Keep).
            Get-HeadlessVm | Should -BeNullOrEmpty
        }
        finally {
            Remove-TestVm p-boot
            Remove-Item -LiteralPath $png -ErrorAction Ignore
        }
    }

    It 'boot-wait-screenshot.ps1 shuts the VM down even when the wait times out' {
        try {
            { & (Join-Path $examples 'boot-wait-screenshot.ps1') -IsoPath $guest.Iso -Name p-slow -WaitFor 'this line never comes' -MemoryMB 256 -Accelerator Tcg -TimeoutSec 2 -ShutdownTimeoutSec 2 -Keep -WarningAction SilentlyContinue } |
                Should -Throw -ErrorId 'SerialTextWaitTimeout,*'
            (Get-HeadlessVm -Name p-slow).State | Should -Be 'Stopped'
        }
        finally {
            Remove-TestVm p-slow
        }
    }

    It 'clone-lab.ps1 boots two VMs from linked clones of a base image, which it only reads' {
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'clones')).FullName
        try {
            # A private copy of the guest disk as the base.
            $base = Join-Path $folder 'base.qcow2'
            Copy-Item -LiteralPath $guest.Qcow2 -Destination $base
            $baseHash = (Get-FileHash -LiteralPath $base).Hash

            $vms = & (Join-Path $examples 'clone-lab.ps1') -BasePath $base -DiskFolder $folder -Count 2 -NamePrefix p-clone -MemoryMB 256 -Accelerator Tcg -WaitFor $ready -TimeoutSec 180
            $vms.Name | Should -Be @('p-clone1', 'p-clone2')
            $vms.State | Should -Be @('Running', 'Running')
            (Get-ChildItem -LiteralPath $folder -Filter 'p-clone*.qcow2' | Get-HeadlessVmDisk).BackingPath | Should -Be @($base, $base)

            $removed = & (Join-Path $examples 'teardown.ps1') -NamePrefix p-clone -TimeoutSec 30 3>&1
            $removed | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | Should -BeNullOrEmpty
            Get-HeadlessVm | Should -BeNullOrEmpty
            (Get-FileHash -LiteralPath $base).Hash | Should -Be $baseHash
        }
        finally {
            Remove-TestVm 'p-clone*'
            Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore
        }
    }

    It 'checkpoint-rollback.ps1 rolls back the VM whose change fails its check, and that VM forgets the change' {
        try {
            $base = Join-Path $TestDrive 'rollback-base.qcow2'
            Copy-Item -LiteralPath $guest.Qcow2 -Destination $base
            # The change types a word without Enter (it waits in the guest's tty line buffer); the check fails for rb-1 only.
            $result = & (Join-Path $examples 'checkpoint-rollback.ps1') -BasePath $base -Count 2 -NamePrefix rb- -MemoryMB 256 -Accelerator Tcg `
                -WaitFor $ready -Change { param($vm) Send-HeadlessVmKey -Name $vm -Text 'x' } -Check { param($vm) $vm -ne 'rb-1' }
            $result.VmName | Should -Be @('rb-1', 'rb-2')
            $result.RolledBack | Should -Be @($true, $false)
            (Get-HeadlessVmSnapshot -Name rb-1).SnapshotName | Should -Be 'before-change'
            Send-HeadlessVmKey -Name rb-1 -Text "ok`n"
            Send-HeadlessVmKey -Name rb-2 -Text "ok`n"
            Wait-HeadlessVm -Name rb-1 -ForText "^$($guest.KeyPrefix)" -TimeoutSec 60 | Should -BeExactly "$($guest.KeyPrefix)ok"
            Wait-HeadlessVm -Name rb-2 -ForText "^$($guest.KeyPrefix)" -TimeoutSec 60 | Should -BeExactly "$($guest.KeyPrefix)xok"
        }
        finally {
            Remove-TestVm 'rb-*'
        }
    }
}
