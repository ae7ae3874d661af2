#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine with the .NET 10 SDK: installs what is missing
# (setup/prerequisites.sh --tests), builds the test guest, then runs the test command,
# 'pwsh ./build.ps1 -Task Test' (xunit and Pester; it prints both suites' totals).
#
# Usage: bash setup/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

pwsh="$(bash setup/prerequisites.sh --tests | tail -n 1)"
# The tests start pwsh themselves: the same one, found on PATH.
export PATH="$(dirname "$pwsh"):$PATH"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bash tests/guest/build-guest.sh >/dev/null

exec pwsh -NoProfile ./build.ps1 -Task Test
