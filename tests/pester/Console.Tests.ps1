# The browser console: Start-VncBridge / Get-VncBridge / Stop-VncBridge, Get-VmConsoleUrl, Save-VmScreenshot.
Describe 'Browser console' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        # One VM with a bridge for the Its that only look at them.
        $null = New-HeadlessVm -Name p-con1 -MemoryMB 64 -Accelerator Tcg -Network None | Start-VncBridge
    }

    AfterAll {
        Remove-TestState
    }

    It 'New-HeadlessVm | Start-VncBridge | Get-VmConsoleUrl yields a URL that serves noVNC' {
        try {
            $url = New-HeadlessVm -Name p-url -MemoryMB 64 -Accelerator Tcg -Network None | Start-VncBridge | Get-VmConsoleUrl
            $url | Should -BeOfType ([uri])
            $url.Host | Should -Be '127.0.0.1'
            $url.Query | Should -Match 'autoconnect=1'
            $response = Invoke-WebRequest -Uri $url -TimeoutSec 20
            $response.StatusCode | Should -Be 200
            $response.Content | Should -Match 'noVNC'
        }
        finally {
            Remove-TestVm p-url
        }
    }

    It 'Get-VncBridge lists the running bridge, and Get-HeadlessVm shows the console' {
        $bridge = Get-VncBridge -Name p-con1
        $bridge.State | Should -Be 'Running'
        Test-ProcessExited $bridge.ProcessId | Should -BeFalse
        # The whole URL, fragment (the VNC password) included: [uri] equality would ignore the fragment.
        (Get-HeadlessVm -Name p-con1).ConsoleUrl.AbsoluteUri | Should -BeExactly $bridge.Url.AbsoluteUri
        $bridge.Url.Fragment | Should -Match '^#password=.+'
    }

    It 'Save-VmScreenshot writes a PNG file' {
        $png = Join-Path $TestDrive 'screen.png'
        try {
            $file = Save-VmScreenshot -Name p-con1 -Path $png
            $file | Should -BeOfType ([System.IO.FileInfo])
            $file.FullName | Should -Be $png
            $bytes = [System.IO.File]::ReadAllBytes($png)
            [System.Text.Encoding]::ASCII.GetString($bytes, 1, 3) | Should -BeExactly 'PNG'
        }
        finally {
            Remove-Item -LiteralPath $png -ErrorAction Ignore
        }
    }

    It 'a second VM joins the same console server with a token of its own' {
        try {
            $second = New-HeadlessVm -Name p-con2 -MemoryMB 64 -Accelerator Tcg -Network None -Paused | Start-VncBridge
            $first = Get-VncBridge -Name p-con1
            $second.ProcessId | Should -Be $first.ProcessId
            $second.WebPort | Should -Be $first.WebPort
            $second.Url.Query | Should -Not -Be $first.Url.Query
        }
        finally {
            Remove-TestVm p-con2
        }
    }

    It 'Stop-VncBridge stops the bridge: Get-VncBridge and Get-VmConsoleUrl then find none' {
        try {
            $null = New-HeadlessVm -Name p-con3 -MemoryMB 64 -Accelerator Tcg -Network None -Paused | Start-VncBridge
            Get-VncBridge -Name p-con3 | Stop-VncBridge

            # What a caller sees: no bridge object, and a BridgeNotFound error naming the VM.
            Get-VncBridge -Name p-con3 -ErrorAction SilentlyContinue -ErrorVariable errors | Should -BeNullOrEmpty
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'BridgeNotFound,*'
            $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errors[0].TargetObject | Should -Be 'p-con3'
            { Get-VncBridge -Name p-con3 -ErrorAction Stop } | Should -Throw -ErrorId 'BridgeNotFound,*'
            { Get-VmConsoleUrl -Name p-con3 -ErrorAction Stop } | Should -Throw -ErrorId 'BridgeNotRunning,*'

            # The other VM's bridge on the same server still serves.
            (Get-VncBridge -Name p-con1).State | Should -Be 'Running'
        }
        finally {
            Remove-TestVm p-con3
        }
    }
}
