#!/usr/bin/env bash
# Installs what HeadlessVm needs and is missing, on Debian 12 with the .NET 10 SDK:
#   - Debian packages: qemu and qemu-img, websockify and noVNC (the browser console), and those that
#     tests/guest/build-guest.sh builds the small demo and test guest from (Debian's cloud kernel,
#     busybox, grub); with --tests also Chromium, which the browser tests drive, and libvirt and
#     OpenSSH's server, which the many-host tests run in their own namespaces (tests/hosts/);
#   - PowerShell 7.6.9 as a dotnet global tool (~/.dotnet/tools/pwsh) when no pwsh >= 7.4 is found.
# apt-get runs only when a package is missing, through sudo unless you are root.
#
# Usage: bash setup/prerequisites.sh [--tests]
# Progress goes to stderr; the last (only) stdout line is the pwsh to use.
set -euo pipefail

log() { printf 'prerequisites: %s\n' "$*" >&2; }
die() { printf 'prerequisites: ERROR: %s\n' "$*" >&2; exit 1; }

packages=(qemu-system-x86 qemu-utils websockify novnc
          busybox-static linux-image-cloud-amd64 grub-pc-bin grub-common xorriso mtools cpio)
if [[ "${1:-}" == "--tests" ]]; then
    packages+=(chromium libvirt-daemon-system libvirt0 libvirt-clients openssh-server openssh-client iproute2)
elif [[ $# -gt 0 ]]; then
    die "unknown argument '$1' (usage: bash setup/prerequisites.sh [--tests])"
fi

# ------------------------------------------------------------ Debian packages ---
missing=()
for package in "${packages[@]}"; do
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)" != installed ]]; then
        missing+=("$package")
    fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
    sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null || die "these packages are missing and there is no sudo: ${missing[*]}"
        sudo=(sudo)
    fi
    log "installing ${missing[*]}"
    # Without systemd, a package's init script would start its daemon at install time (libvirtd,
    # and an sshd on 0.0.0.0:22). Nothing here wants those: tests/hosts/ starts its own daemons, by
    # PID. A policy-rc.d that refuses every start (exit 101, Debian's invoke-rc.d policy) is put in
    # place for the install when the machine has none, and removed afterwards.
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 0755 "$policy"
        made_policy=1
    fi
    status=0
    { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } || status=$?
    if [[ $made_policy -eq 1 ]]; then
        "${sudo[@]}" rm -f "$policy"
    fi
    [[ $status -eq 0 ]] || die "apt-get failed (exit code $status)"
else
    log "Debian packages: all there"
fi

# ----------------------------------------------------------------- PowerShell ---
command -v dotnet >/dev/null || die "dotnet is not on PATH: install the .NET 10 SDK first"
pwsh_is_usable() { # pwsh_is_usable <path>: it runs and is 7.4 or later
    [[ -x "$1" ]] && "$1" -NoProfile -NonInteractive -Command \
        'exit [int]($PSVersionTable.PSVersion -lt [version]"7.4")' >/dev/null 2>&1
}
tool_pwsh="$HOME/.dotnet/tools/pwsh"
pwsh="$(command -v pwsh || true)"
if [[ -n "$pwsh" ]] && pwsh_is_usable "$pwsh"; then
    log "PowerShell: $pwsh"
elif pwsh_is_usable "$tool_pwsh"; then
    pwsh="$tool_pwsh"
    log "PowerShell: $pwsh"
else
    log "installing PowerShell 7.6.9 as a dotnet global tool into ~/.dotnet/tools"
    if [[ -e "$tool_pwsh" ]]; then
        dotnet tool update --global PowerShell --version 7.6.9 >&2
    else
        dotnet tool install --global PowerShell --version 7.6.9 >&2
    fi
    pwsh_is_usable "$tool_pwsh" || die "$tool_pwsh does not run"
    pwsh="$tool_pwsh"
fi
echo "$pwsh"
