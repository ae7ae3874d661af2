#!/usr/bin/env bash
# Runs a command on this machine as if libvirt's client libraries were not installed, for the test of
# HeadlessVm's LibvirtNotInstalled error: in a private mount namespace, /dev/null is bound over
# libvirt.so.0 and libvirt-qemu.so.0, so dlopen fails as it does without the libvirt0 package.
# Nothing outside the command's own namespace changes. Needs root (unshare --mount).
#
#   tests/hosts/without-libvirt.sh CMD [ARG...]
set -euo pipefail
if [[ ${1-} != __inside ]]; then
    [[ $# -ge 1 ]] || { printf 'usage: %s CMD [ARG...]\n' "$0" >&2; exit 2; }
    exec unshare --mount --propagation private -- "$BASH" "$0" __inside "$@"
fi
shift
for lib in libvirt.so.0 libvirt-qemu.so.0; do
    while read -r path; do
        [[ -n $path ]] || continue
        mount --bind /dev/null "$(readlink -f "$path")"
    done < <(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF }')
done
exec "$@"
