# The browser console: Start-VncBridge / Get-VncBridge / Stop-VncBridge, Get-VmConsoleUrl, Save-VmScreenshot.
Describe 'Browser console' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $null = New-HeadlessVm -Name p-con1 -MemoryMB 64 -Accelerator Tcg
    }

    AfterAll {
        Remove-TestState
    }

    It 'New-HeadlessVm | Start-VncBridge | Get-VmConsoleUrl yields a URL that serves noVNC' {
        $url = Get-HeadlessVm -Name p-con1 | Start-VncBridge | Get-VmConsoleUrl
        $url | Should -BeOfType ([uri])
        $url.Host | Should -Be '127.0.0.1'
        $url.Query | Should -Match 'autoconnect=1'
        $response = Invoke-WebRequest -Uri $url -TimeoutSec 20
        $response.StatusCode | Should -Be 200
        $response.Content | Should -Match 'noVNC'
    }

    It 'Get-VncBridge lists the running bridge, and Get-HeadlessVm shows the console' {
        $bridge = Get-VncBridge -Name p-con1
        $bridge.State | Should -Be 'Running'
        (Get-HeadlessVm -Name p-con1).ConsoleUrl | Should -Not -BeNullOrEmpty
    }

    It 'Save-VmScreenshot writes a PNG file' {
        $file = Save-VmScreenshot -Name p-con1 -Path (Join-Path $TestDrive 'screen.png')
        $file | Should -BeOfType ([System.IO.FileInfo])
        $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
        [System.Text.Encoding]::ASCII.GetString($bytes, 1, 3) | Should -BeExactly 'PNG'
    }

    It 'a second VM joins the same console server with a token of its own' {
        $second = New-HeadlessVm -Name p-con2 -MemoryMB 64 -Accelerator Tcg -Network None -Paused | Start-VncBridge
        $first = Get-VncBridge -Name p-con1
        $second.ProcessId | Should -Be $first.ProcessId
        $second.WebPort | Should -Be $first.WebPort
        $second.Url.Query | Should -Not -Be $first.Url.Query
    }

    It 'Stop-VncBridge stops the bridge' {
        Get-VncBridge -Name p-con1 | Stop-VncBridge
        (Get-VncBridge -Name p-con1 | Where-Object State -eq 'Running') | Should -BeNullOrEmpty
        { Get-VmConsoleUrl -Name p-con1 -ErrorAction Stop } | Should -Throw
    }
}
