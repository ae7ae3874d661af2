#!/usr/bin/env bash
# From a fresh Debian 12 machine with the .NET 10 SDK to a VM's screen in your browser: installs what is
# missing (setup/prerequisites.sh), builds the module, and starts the demo VM 'demo' (the small guest that
# tests/guest/build-guest.sh builds from Debian packages) with its browser console, then prints the
# console URL. The VM is yours: it lives in your default state folder, and 'Get-HeadlessVm' in any pwsh
# lists it.
#
# Usage: bash setup/demo.sh            start it (again), print its console URL
#        bash setup/demo.sh --remove   stop it and remove it
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    "") ;;
    --remove) pwsh="$(bash setup/prerequisites.sh | tail -n 1)"
              exec "$pwsh" -NoProfile -File setup/demo.ps1 -Remove ;;
    *) echo "usage: bash setup/demo.sh [--remove]" >&2; exit 2 ;;
esac

pwsh="$(bash setup/prerequisites.sh | tail -n 1)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The module alone (not the tests): ./HeadlessVm.psd1 loads it from artifacts/module.
dotnet build src/HeadlessVm/HeadlessVm.csproj --configuration Release --nologo --verbosity quiet >&2
exec "$pwsh" -NoProfile -File setup/demo.ps1
