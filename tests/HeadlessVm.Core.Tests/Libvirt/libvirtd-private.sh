#!/usr/bin/env bash
# Runs virtlogd + libvirtd (QEMU driver) for the Needs=libvirtd tests without touching the machine's own libvirt
# state: both daemons live in a private mount namespace where /run/libvirt, /etc/libvirt/qemu,
# /var/lib/libvirt/qemu, /var/log/libvirt and /var/cache/libvirt are bound to folders under DIR. No domain,
# network or log of another libvirtd is seen or touched, and libvirt's 'default' network is not defined there,
# so it never starts. Needs root (mount namespaces; qemu runs as libvirt-qemu as on any Debian host).
#
#   libvirtd-private.sh start DIR   prints the URI to export as HEADLESSVM_TEST_LIBVIRT_URI
#   libvirtd-private.sh stop DIR    stops both daemons by their pidfiles and deletes DIR
set -euo pipefail

die() { printf 'libvirtd-private: %s\n' "$*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: $0 start|stop DIR"
cmd=$1
dir=$(realpath -m "$2")

case "$cmd" in
start)
    [[ -e "$dir/libvirtd.pid" ]] && die "$dir already has a libvirtd; stop it first"
    mkdir -p "$dir"
    unshare --mount --propagation private "$0" __inside "$dir"
    for _ in $(seq 1 100); do [[ -S "$dir/run/libvirt-sock" ]] && break; sleep 0.1; done
    [[ -S "$dir/run/libvirt-sock" ]] || die "libvirtd did not create its socket (see $dir/log/libvirtd.log)"
    printf 'qemu+unix:///system?socket=%s\n' "$dir/run/libvirt-sock"
    ;;
__inside)
    mkdir -p "$dir"/{run,etc-qemu,lib-qemu,log/qemu,cache}
    chown libvirt-qemu:libvirt-qemu "$dir/lib-qemu"
    chmod 0751 "$dir/lib-qemu"
    mount --bind "$dir/run" /run/libvirt
    mount --bind "$dir/etc-qemu" /etc/libvirt/qemu
    mount --bind "$dir/lib-qemu" /var/lib/libvirt/qemu
    mount --bind "$dir/log" /var/log/libvirt
    mount --bind "$dir/cache" /var/cache/libvirt
    virtlogd -d -p "$dir/virtlogd.pid"
    libvirtd -d -p "$dir/libvirtd.pid"
    ;;
stop)
    for daemon in libvirtd virtlogd; do
        pidfile="$dir/$daemon.pid"
        [[ -s "$pidfile" ]] || continue
        pid=$(<"$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && die "$daemon ($pid) did not stop"
    done
    rm -rf "$dir"
    ;;
*)
    die "usage: $0 start|stop DIR"
    ;;
esac
