#Requires -Version 7.4
<#
.SYNOPSIS
Writes a platyPS-shaped markdown page skeleton in docs/en-US for each HeadlessVm cmdlet that has none.

.DESCRIPTION
The skeleton carries what the cmdlet's metadata knows (syntax per parameter set, each parameter's type,
sets, aliases, position, default value, pipeline input, wildcards) and '{{ Fill in ... }}' placeholders
for the prose. HelpTests fails while any placeholder is left, so a page is never shipped half written.
For pages that exist, it lists the parameters the page does not document.
Import the module first (Import-Module ./HeadlessVm.psd1).

.EXAMPLE
Import-Module ./HeadlessVm.psd1; ./build/New-HelpPage.ps1
#>
[CmdletBinding()]
param(
    [string[]] $Name = '*',
    [string] $OutputFolder = (Join-Path $PSScriptRoot '../docs/en-US')
)

# -WhatIf and -Confirm are documented on the page, as platyPS does; the rest are in CommonParameters.
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + 'UseTransaction'

function Get-TypeName([type] $Type) {
    $element = $Type
    $suffix = ''
    if ($Type.IsArray) { $element = $Type.GetElementType(); $suffix = '[]' }
    $nullable = [Nullable]::GetUnderlyingType($element)
    if ($nullable) { $element = $nullable }
    $element.Name + $suffix
}

foreach ($command in Get-Command -Module HeadlessVm -Name $Name -CommandType Cmdlet | Sort-Object Name) {
    $page = Join-Path $OutputFolder "$($command.Name).md"
    $parameters = $command.Parameters.Values | Where-Object { $_.Name -notin $common }
    if (Test-Path $page) {
        $text = Get-Content $page -Raw
        foreach ($p in $parameters) {
            if ($text -notmatch "(?m)^### -$($p.Name)\s*$") {
                Write-Warning "$($command.Name): the page does not document -$($p.Name)."
            }
        }
        continue
    }

    $instance = [Activator]::CreateInstance($command.ImplementingType)
    $sets = $command.ParameterSets
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.AddRange([string[]]@(
        '---', 'external help file: HeadlessVm.dll-Help.xml', 'Module Name: HeadlessVm', 'online version:', 'schema: 2.0.0', '---', '',
        "# $($command.Name)", '', '## SYNOPSIS', '{{ Fill in the Synopsis }}', '', '## SYNTAX', ''))
    foreach ($set in $sets) {
        $title = if ($set.Name -eq '__AllParameterSets') { '__AllParameterSets' } else { $set.Name }
        if ($set.IsDefault -and $sets.Count -gt 1) { $title += ' (Default)' }
        if ($sets.Count -gt 1 -or $set.Name -eq '__AllParameterSets') { $lines.Add("### $title"); $lines.Add('') }
        $lines.AddRange([string[]]@('```', "$($command.Name) $set", '```', ''))
    }
    $lines.AddRange([string[]]@('## DESCRIPTION', '{{ Fill in the Description }}', '', '## EXAMPLES', '',
        '### Example 1: {{ Title }}', '```powershell', '{{ Add example code here }}', '```', '', '{{ Add example description here }}', '',
        '### Example 2: {{ Title }}', '```powershell', '{{ Add example code here }}', '```', '', '{{ Add example description here }}', '',
        '## PARAMETERS', ''))
    foreach ($p in $parameters | Sort-Object Name) {
        $attributes = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
        $inAll = $p.ParameterSets.ContainsKey('__AllParameterSets') -or $p.ParameterSets.Count -eq $sets.Count
        $first = $attributes | Select-Object -First 1
        $pipeline = @()
        if ($first.ValueFromPipeline) { $pipeline += 'ByValue' }
        if ($first.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
        $default = $instance.($p.Name)
        $defaultText = if ($p.ParameterType -eq [switch]) { 'False' }
            elseif ($null -eq $default -or ($default -is [array] -and $default.Count -eq 0) -or "$default" -eq '') { 'None' }
            else { "$default" }
        $lines.AddRange([string[]]@("### -$($p.Name)", '{{ Fill in the Description }}', '', '```yaml',
            "Type: $(Get-TypeName $p.ParameterType)",
            "Parameter Sets: $(if ($inAll) { '(All)' } else { ($p.ParameterSets.Keys | Sort-Object) -join ', ' })",
            "Aliases: $($p.Aliases -join ', ')".TrimEnd()))
        $values = if ($p.ParameterType.IsEnum) { [enum]::GetNames($p.ParameterType) }
            else { ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }).ValidValues }
        if ($values) { $lines.Add("Accepted values: $($values -join ', ')") }
        $lines.AddRange([string[]]@('',
            "Required: $([bool]($attributes | Where-Object Mandatory))",
            "Position: $(if ($first.Position -ge 0) { $first.Position } else { 'Named' })",
            "Default value: $defaultText",
            "Accept pipeline input: $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' })",
            "Accept wildcard characters: $([bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }))",
            '```', ''))
    }
    $lines.AddRange([string[]]@('### CommonParameters',
        'This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, -InformationVariable, -OutBuffer, -OutVariable, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction, and -WarningVariable. For more information, see [about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).',
        '', '## INPUTS', '', '### {{ Input type }}', '', '## OUTPUTS', ''))
    foreach ($type in $command.OutputType) { $lines.AddRange([string[]]@("### $($type.Name)", '')) }
    $lines.AddRange([string[]]@('## NOTES', '', '## RELATED LINKS', '', '[about_HeadlessVm](about_HeadlessVm.md)', ''))
    [System.IO.File]::WriteAllLines($page, $lines)
    Write-Verbose "Wrote $page"
    $page
}
