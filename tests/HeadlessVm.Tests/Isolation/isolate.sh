#!/usr/bin/env bash
# Runs one command in namespaces of its own, for tests that need this machine to look different to that
# command and to nothing else:
#   isolate.sh hide FOLDER -- COMMAND [ARG...]      FOLDER is empty (a tmpfs over it, in a private mount namespace)
#   isolate.sh address ADDRESS -- COMMAND [ARG...]  a network of its own: lo, which also has ADDRESS (not a
#                                                   loopback address to anyone asking, reachable only in there)
# As root it uses the namespaces directly; otherwise it maps the caller to root in a user namespace first.
# Everything the command starts stays in those namespaces; the caller stops it by PID.
set -euo pipefail

[[ $# -ge 4 && $3 == -- ]] || { echo "usage: isolate.sh hide FOLDER|address ADDRESS -- COMMAND [ARG...]" >&2; exit 2; }
mode=$1 what=$2
shift 3

if [[ -z ${HVM_ISOLATED:-} ]]; then
    userns=()
    [[ $(id -u) -eq 0 ]] || userns=(--user --map-root-user)
    case $mode in
        hide) namespaces=(--mount --propagation private) ;;
        address) namespaces=(--net) ;;
        *) echo "isolate.sh: unknown mode '$mode'" >&2; exit 2 ;;
    esac
    HVM_ISOLATED=1 exec unshare "${userns[@]}" "${namespaces[@]}" -- "$0" "$mode" "$what" -- "$@"
fi

unset HVM_ISOLATED
case $mode in
    hide)
        mount -t tmpfs -o size=1m,mode=0755 hvm-hidden "$what"
        ;;
    address)
        ip link set lo up
        ip address add "$what/32" dev lo
        ;;
esac
exec "$@"
