@{
    # The root manifest loads the module straight from the build output, so that after
    # 'dotnet build' at the repository root 'Import-Module ./HeadlessVm.psd1' gets the fresh build.
    # build.ps1 writes the packaged copy of this manifest with flat paths.
    RootModule           = 'artifacts/module/HeadlessVm.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = 'b54016a1-7682-4e2d-8ecb-a3d885605aed'
    Author               = 'HeadlessVm contributors'
    CompanyName          = 'HeadlessVm'
    Copyright            = '(c) 2026 HeadlessVm contributors. MIT License.'
    Description          = 'Run QEMU/KVM virtual machines headless on Linux, see their screens in a web browser through websockify and noVNC, and script them with objects in the pipeline.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('artifacts/module/HeadlessVm.Format.ps1xml')
    CmdletsToExport      = @(
        'Checkpoint-HeadlessVm'
        'Connect-HeadlessVmHost'
        'Copy-HeadlessVm'
        'Disconnect-HeadlessVmHost'
        'Get-HeadlessVm'
        'Get-HeadlessVmDisk'
        'Get-HeadlessVmHost'
        'Get-HeadlessVmSerialLog'
        'Get-HeadlessVmSnapshot'
        'Get-VmConsoleUrl'
        'Get-VncBridge'
        'New-HeadlessVm'
        'New-HeadlessVmDisk'
        'Remove-HeadlessVm'
        'Remove-HeadlessVmSnapshot'
        'Rename-HeadlessVm'
        'Restart-HeadlessVm'
        'Restore-HeadlessVmSnapshot'
        'Resume-HeadlessVm'
        'Save-VmScreenshot'
        'Send-HeadlessVmKey'
        'Set-HeadlessVm'
        'Start-HeadlessVm'
        'Start-VncBridge'
        'Stop-HeadlessVm'
        'Stop-VncBridge'
        'Suspend-HeadlessVm'
        'Test-HeadlessVmHost'
        'Wait-HeadlessVm'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Linux', 'PSEdition_Core', 'QEMU', 'KVM', 'libvirt', 'noVNC', 'VirtualMachine', 'VNC')
            ProjectUri   = 'https://github.com/headlessvm/HeadlessVm'
            LicenseUri   = 'https://github.com/headlessvm/HeadlessVm/blob/main/LICENSE'
            ReleaseNotes = 'First release: the VM lifecycle on QEMU (New/Get/Start/Stop/Suspend/Resume/Restart/Remove-HeadlessVm); the browser console (Start/Get/Stop-VncBridge, Get-VmConsoleUrl, Save-VmScreenshot); guest tools (Wait-HeadlessVm, Get-HeadlessVmSerialLog, Send-HeadlessVmKey); disks (New/Get-HeadlessVmDisk); table and list views, tab completion, progress and full help for every cmdlet.'
        }
    }
}
