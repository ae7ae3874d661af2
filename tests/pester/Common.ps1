# Shared setup for the Pester tests; dot-source it in BeforeAll:  . (Join-Path $PSScriptRoot 'Common.ps1')
# Imports the module that build.ps1 built ($env:HEADLESSVM_TEST_MODULE), else the root manifest (after
# 'dotnet build'), points $env:HEADLESSVM_HOME at a fresh temporary store, and finds the test guest.

$ModuleManifest = if ($env:HEADLESSVM_TEST_MODULE) { $env:HEADLESSVM_TEST_MODULE } else { Join-Path $PSScriptRoot '../../HeadlessVm.psd1' }
Import-Module $ModuleManifest -Force -ErrorAction Stop

# Short, because unix socket paths (the QMP socket lives in the store) are limited to 107 characters.
# $env:HEADLESSVM_TEST_STATE_PARENT puts the store elsewhere than the temp folder.
$parent = if ($env:HEADLESSVM_TEST_STATE_PARENT) { $env:HEADLESSVM_TEST_STATE_PARENT } else { [System.IO.Path]::GetTempPath() }
$StateRoot = (New-Item -ItemType Directory -Path (Join-Path $parent ('hvm-pester-' + [guid]::NewGuid().ToString('n').Substring(0, 8)))).FullName
$SavedHome = $env:HEADLESSVM_HOME
$env:HEADLESSVM_HOME = $StateRoot

function Get-TestGuest {
    # tests/guest/build-guest.sh builds the guest once (cached) and prints its folder as its last line.
    $folder = & (Join-Path $PSScriptRoot '../guest/build-guest.sh') | Select-Object -Last 1
    if ($LASTEXITCODE -ne 0 -or -not $folder) { throw 'tests/guest/build-guest.sh could not build the test guest.' }
    [pscustomobject]@{
        Kernel        = Join-Path $folder 'vmlinuz'
        Initrd        = Join-Path $folder 'initrd.img'
        Iso           = Join-Path $folder 'guest.iso'
        Qcow2         = Join-Path $folder 'guest.qcow2'
        KernelArgs    = 'console=ttyS0 console=tty0'
        Ready         = 'HEADLESSVM-GUEST-READY'
        KeyPrefix     = 'HEADLESSVM-GUEST-KEY: '
    }
}

function Remove-TestState {
    Get-VncBridge | Stop-VncBridge -ErrorAction SilentlyContinue
    Get-HeadlessVm | Remove-HeadlessVm -Force -ErrorAction SilentlyContinue
    $env:HEADLESSVM_HOME = $SavedHome
    Remove-Item -LiteralPath $StateRoot -Recurse -Force -ErrorAction SilentlyContinue
}
