# New-HeadlessVm -CloudInit: the NoCloud seed, made by cloud-localds and read back with xorriso.
Describe 'cloud-init seeds' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJt7mHvzCZp6v5Qn0cM5m8Yh2K1y6qGgXkH9m1n3bqQx pester'
    }

    AfterAll {
        Remove-TestVm 'p-ci*'
        Remove-TestState
    }

    It 'a VM with a user and a key file gets a private cidata seed holding them' {
        try {
            $pub = Join-Path $TestDrive 'id.pub'
            Set-Content -LiteralPath $pub -Value $key
            $vm = New-HeadlessVm -Name p-ci1 -Accelerator Tcg -MemoryMB 64 -NoStart -UserName admin -SshPublicKey $pub -HostName web1
            $seed = Join-Path $vm.StatePath 'cidata.iso'
            [int](Get-Item -LiteralPath $seed).UnixFileMode | Should -Be 0x180  # 0600
            (& xorriso -indev $seed -pvd_info 2>$null) -join "`n" | Should -Match 'Volume Id\s+: cidata'
            $out = Join-Path $TestDrive 'user-data'
            $null = & xorriso -osirrox on -indev $seed -extract /user-data $out 2>&1
            $userData = Get-Content -LiteralPath $out -Raw
            $userData | Should -Match 'name: "admin"'
            $userData | Should -Match ([regex]::Escape($key))
        }
        finally {
            Remove-TestVm 'p-ci1'
        }
    }

    It 'a key file that cannot be read is CloudInitFileUnreadable and makes no VM' {
        New-HeadlessVm -Name p-ci2 -Accelerator Tcg -MemoryMB 64 -NoStart -SshPublicKey (Join-Path $TestDrive 'missing.pub') -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'CloudInitFileUnreadable,*'
        $e[0].TargetObject | Should -Be 'p-ci2'
        Get-HeadlessVm -Name p-ci2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
