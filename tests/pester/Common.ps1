# Shared setup for the Pester tests; dot-source it in BeforeAll:  . (Join-Path $PSScriptRoot 'Common.ps1')
# Imports the module that build.ps1 built ($env:HEADLESSVM_TEST_MODULE), else the root manifest (after
# 'dotnet build'), points $env:HEADLESSVM_HOME at a fresh temporary store, and finds the test guest.
# Remove-TestState (in AfterAll) removes what the file left and the store.

$ModuleManifest = if ($env:HEADLESSVM_TEST_MODULE) { $env:HEADLESSVM_TEST_MODULE } else { Join-Path $PSScriptRoot '../../HeadlessVm.psd1' }
Import-Module $ModuleManifest -Force -ErrorAction Stop

# Short, because unix socket paths (the QMP socket lives in the store) are limited to 107 characters.
$StateRoot = (New-Item -ItemType Directory -Path (Join-Path ([System.IO.Path]::GetTempPath()) ('hvm-pester-' + [guid]::NewGuid().ToString('n').Substring(0, 8)))).FullName
$SavedHome = $env:HEADLESSVM_HOME
$env:HEADLESSVM_HOME = $StateRoot

function Get-TestGuest {
    # tests/guest/build-guest.sh builds the guest once (cached) and prints its folder as its last line.
    $folder = & (Join-Path $PSScriptRoot '../guest/build-guest.sh') | Select-Object -Last 1
    if ($LASTEXITCODE -ne 0 -or -not $folder) { throw 'tests/guest/build-guest.sh could not build the test guest.' }
    [pscustomobject]@{
        Folder     = $folder
        Kernel     = Join-Path $folder 'vmlinuz'
        Initrd     = Join-Path $folder 'initrd.img'
        Iso        = Join-Path $folder 'guest.iso'
        Qcow2      = Join-Path $folder 'guest.qcow2'
        KernelArgs = 'console=ttyS0 console=tty0'
        Ready      = 'HEADLESSVM-GUEST-READY'
        KeyPrefix  = 'HEADLESSVM-GUEST-KEY: '
    }
}

# Removes the named VMs (wildcards allowed) if they exist, running or not, with their bridges. For the
# finally block of an It: a VM that was never made is no error, a removal that fails is one.
function Remove-TestVm([string[]] $Name) {
    Get-HeadlessVm -Name $Name -ErrorAction Ignore | Remove-HeadlessVm -Force -Confirm:$false
}

# True once the process is gone or a zombie (it has exited; only its parent has not reaped it yet).
function Test-ProcessExited([int] $Id) {
    $stat = Get-Content -LiteralPath "/proc/$Id/stat" -Raw -ErrorAction Ignore
    -not $stat -or $stat.Substring($stat.LastIndexOf(')') + 2, 1) -eq 'Z'
}

function Wait-ProcessExited([int] $Id, [int] $TimeoutSec = 10) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while (-not (Test-ProcessExited $Id)) {
        if ([DateTime]::UtcNow -ge $deadline) { return $false }
        Start-Sleep -Milliseconds 50
    }
    $true
}

# Runs a script in a new 'pwsh -NoProfile' that imports the module under test, against this file's store
# (it inherits $env:HEADLESSVM_HOME): a second shell, as a user would open one. Waits at most -TimeoutSec.
function Invoke-TestPwsh([string] $Script, [int] $TimeoutSec = 120) {
    $pwsh = Get-Command pwsh -CommandType Application -ErrorAction Stop | Select-Object -First 1
    $start = [System.Diagnostics.ProcessStartInfo]::new($pwsh.Source)
    foreach ($arg in '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$($ModuleManifest -replace "'", "''")' -ErrorAction Stop`n$Script") {
        $start.ArgumentList.Add($arg)
    }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSec * 1000)) {
            $process.Kill($true)
            throw "pwsh did not finish in $TimeoutSec s: $Script"
        }
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = @($stdout.Result -split '\r?\n' | Where-Object { $_ })
            Error    = $stderr.Result
        }
    }
    finally {
        $process.Dispose()
    }
}

# The processes whose command line names this file's store (qemu's pidfile and socket, websockify's log):
# found through /proc, not through the pidfiles the module deletes.
function Get-StoreProcess {
    $under = $StateRoot.TrimEnd('/') + '/'
    foreach ($entry in Get-ChildItem -LiteralPath /proc -Directory -ErrorAction Ignore) {
        $id = 0
        if (-not [int]::TryParse($entry.Name, [ref] $id) -or $id -eq $PID -or (Test-ProcessExited $id)) { continue }
        $cmdline = Get-Content -LiteralPath "/proc/$id/cmdline" -Raw -ErrorAction Ignore
        if (-not $cmdline) { continue }
        $argv = $cmdline.TrimEnd([char]0).Split([char]0)
        if ($argv | Where-Object { $_ -eq $StateRoot -or $_.Contains($under) }) {
            [pscustomobject]@{ Id = $id; CommandLine = $argv -join ' ' }
        }
    }
}

# For AfterAll: removes every VM and bridge through the module (a failure to is the file's failure), then
# sweeps /proc. A process that still names the store leaked past the module: it is killed, by PID, and
# the file fails. Then the store goes and HEADLESSVM_HOME is what it was.
function Remove-TestState {
    $leftovers = @()
    try {
        Get-HeadlessVm | Remove-HeadlessVm -Force -Confirm:$false
        Get-VncBridge | Stop-VncBridge -Confirm:$false
    }
    finally {
        # A process on its way out after the module stopped it gets a moment (at most 3 s).
        $deadline = [DateTime]::UtcNow.AddSeconds(3)
        while (($leftovers = @(Get-StoreProcess)).Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 50
        }
        foreach ($process in $leftovers) {
            Stop-Process -Id $process.Id -Force -ErrorAction Ignore
            $null = Wait-ProcessExited $process.Id
        }
        $env:HEADLESSVM_HOME = $SavedHome
        Remove-Item -LiteralPath $StateRoot -Recurse -Force -ErrorAction Ignore
    }
    if ($leftovers.Count -gt 0) {
        throw "The tests left $($leftovers.Count) process(es) running, killed now: $(($leftovers | ForEach-Object { "PID $($_.Id): $($_.CommandLine)" }) -join '; ')"
    }
}
