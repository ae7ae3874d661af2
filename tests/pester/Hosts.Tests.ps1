# Hosts: libvirt's in-process test driver stands for two hosts (test:///FILE loads a host from an XML file), so
# these tests need no daemon. The real libvirtd and ssh hosts are in tests/HeadlessVm.Tests (LibvirtGuestTests,
# RemoteHostTests).
Describe 'Hosts' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $uris = foreach ($h in 'a', 'b') {
            $file = Join-Path $StateRoot "host-$h.xml"
            Set-Content -LiteralPath $file -Value "<node><domain type='test'><name>web1</name><memory>65536</memory><os><type>hvm</type></os></domain><domain type='test'><name>only-$h</name><memory>65536</memory><os><type>hvm</type></os></domain></node>"
            "test://$file"
        }
        Connect-HeadlessVmHost p-a -Uri $uris[0] | Out-Null
        Connect-HeadlessVmHost p-b -Uri $uris[1] | Out-Null
    }

    AfterAll {
        Disconnect-HeadlessVmHost p-a, p-b -Forget -ErrorAction SilentlyContinue
        Remove-TestState
    }

    It 'Get-HeadlessVmHost lists the registered hosts, connected' {
        $hosts = Get-HeadlessVmHost p-*
        $hosts | Should -HaveCount 2
        $hosts[0].Connected | Should -Be $true
    }

    It 'lists the VMs of two hosts, each with its host' {
        $vms = Get-HeadlessVm -ComputerName p-a, p-b
        $vms | Should -HaveCount 4
        ($vms | Where-Object Name -eq 'only-b').ComputerName | Should -Be 'p-b'
    }

    It 'sends piped VMs back to their own host' {
        $stopped = Get-HeadlessVm -ComputerName p-a, p-b web1 | Stop-HeadlessVm -Force -PassThru
        ($stopped | ForEach-Object ComputerName) -join ',' | Should -Be 'p-a,p-b'
        (Get-HeadlessVm -ComputerName p-a only-a).State | Should -Be 'Running'
    }

    It 'refuses a console for a name that two hosts have' {
        { Get-VmConsoleUrl web1 -ComputerName p-a, p-b -ErrorAction Stop } | Should -Throw -ErrorId 'AmbiguousVmName,HeadlessVm.Commands.GetVmConsoleUrlCommand'
    }

    It 'Test-HeadlessVmHost gives one line per check' {
        $checks = Test-HeadlessVmHost p-a
        ($checks | ForEach-Object Check) -join ',' | Should -Be 'Client,Reachable,Authenticated,Daemon,Kvm,PortForward,Console'
        ($checks | Where-Object Check -eq 'Reachable').Status | Should -Be 'Passed'
    }
}
