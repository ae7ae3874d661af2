#!/usr/bin/env bash
# Proves the host bed works, end to end, and measures it (figures at the end, for README.md).
#
#   tests/hosts/selftest.sh
#
# Brings up 2 hosts (hostbed.sh, at HVM_HOSTBED_ROOT or /tmp/hvm-hostbed; it refuses to touch a
# bed that is already there), then: libvirt answers on each host through ssh with no prompt
# possible (no terminal at all); a test guest boots on h1 through that URI to its ready line;
# h1's VNC is not reachable from this machine's namespace but is through `ssh -L` to a unix
# socket; a killed libvirtd, a cut link and a refused key each fail within a bounded time and
# recover; down leaves no namespace, link, mount or process; a bed whose `up` was killed midway
# is removed by down as well. Exit 0 when every check passed; the first failed check stops it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$here/lib.sh"

bed=$here/hostbed.sh
probe=$here/rfb-probe.py
root=${HVM_HOSTBED_ROOT:-/tmp/hvm-hostbed}
work=$(mktemp -d /tmp/hvm-hostbed-selftest.XXXXXX)
vm=hvm-selftest
upped=0
forward_pid=''
checks=0
declare -A info=() figures=()

need_root
[[ -x /usr/bin/python3 ]] || die "python3 is needed for the RFB probe (apt-get install python3)"

cleanup() {
    local rc=$?
    trap - EXIT
    if [[ -n $forward_pid ]]; then stop_pid "$forward_pid" "ssh -L" 5 || true; fi
    if [[ $upped == 1 ]]; then "$bed" down >/dev/null 2>&1 || say "cleanup: hostbed.sh down failed; run it by hand"; fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

ok() { checks=$((checks + 1)); printf 'ok %d - %s\n' "$checks" "$*"; }
fail() { printf 'not ok %d - %s\n' "$((checks + 1))" "$*"; exit 1; }

# no_tty CMD...: run CMD in a new session with no controlling terminal and stdin from /dev/null,
# so that a password or host-key prompt cannot be answered (or shown): it can only fail.
no_tty() { setsid -w "$@" </dev/null; }

load_info() {
    local key value
    while IFS='=' read -r key value; do
        info[$key]=$value
    done
}

# ------------------------------------------------------------------------------- preflight ---

guest=$(bash "$here/../guest/build-guest.sh")
[[ -f $guest/vmlinuz && -f $guest/initrd.img ]] || die "test guest not found in $guest"
if [[ -e $root ]]; then
    die "a host bed already exists at $root; remove it (hostbed.sh down) or set HVM_HOSTBED_ROOT"
fi
# daemons_running: PIDs of every libvirtd, virtlogd, sshd and qemu on this machine, the bed's or not.
daemons_running() {
    local name
    local name pid
    for name in libvirtd virtlogd sshd qemu-system-x86; do
        # pgrep lists zombies too: a stopped daemon stays one until init reaps it.
        for pid in $(pgrep -x "$name" || true); do
            if pid_alive "$pid"; then printf '%s ' "$pid"; fi
        done
    done
}
# What ran before: the final check tells the bed's processes from other people's.
before=$(daemons_running)
read -r forwarding_before </proc/sys/net/ipv4/ip_forward

# --------------------------------------------------------------------------------------- up ---

t0=$(now_ms)
upped=1
"$bed" up 2 >"$work/info" 2>"$work/up.err" || { cat "$work/up.err" >&2; fail "hostbed.sh up 2"; }
printf "# %s\n" "$(tail -n 1 "$work/up.err")"
figures[up]=$(( $(now_ms) - t0 ))
load_info <"$work/info"
ok "up 2 in ${figures[up]} ms: h1 ${info[h1.address]}, h2 ${info[h2.address]}"

# Memory of an idle host: its holder, virtlogd, libvirtd and sshd.
for h in h1 h2; do
    rss=0 pss=0
    for f in "$root/$h/holder.pid" "$root/$h/run/virtlogd.pid" "$root/$h/run/libvirtd.pid" "$root/$h/run/sshd.pid"; do
        pid=$(read_pidfile "$f") || fail "$h has no pid in $f"
        rss=$((rss + $(rss_kib "$pid")))
        pss=$((pss + $(pss_kib "$pid")))
    done
    figures[$h.rss]=$rss
    figures[$h.pss]=$pss
done
ok "idle host memory: h1 RSS ${figures[h1.rss]} KiB (PSS ${figures[h1.pss]}), h2 RSS ${figures[h2.rss]} KiB (PSS ${figures[h2.pss]})"

# The hosts reach the bridge and nothing else; this machine forwards no more than before.
for h in h1 h2; do
    routes=$("$bed" exec "$h" ip -4 route show) || fail "ip route in $h"
    [[ $routes == "${info[h1.address]%.*}.0/24 dev eth0 "* && $routes != *$'\n'* ]] || fail "$h has routes beyond the bed's /24: $routes"
    if out=$("$bed" exec "$h" ip -4 route get 192.0.2.1 2>&1); then fail "$h has a route out: $out"; fi
done
read -r forwarding </proc/sys/net/ipv4/ip_forward
[[ $forwarding == "$forwarding_before" ]] || fail "net.ipv4.ip_forward changed from $forwarding_before to $forwarding"
ok "h1 and h2 route only the bed's /24 (192.0.2.1: $out); ip_forward is still $forwarding"

# ------------------------------------------------------------------------------------ ssh ---

for h in h1 h2; do
    uri=${info[$h.uri_ssh]}
    out=$(no_tty timeout 30 virsh -q -c "$uri" version 2>&1) || fail "virsh -c $uri version: $out"
    [[ $out == *"Running hypervisor: QEMU"* ]] || fail "virsh -c $uri version said: $out"
    name=$(no_tty timeout 30 virsh -q -c "$uri" hostname 2>&1) || fail "virsh hostname on $h: $name"
    [[ $name == "$h" ]] || fail "$uri reached host '$name', not $h"
    ok "$uri answers without a terminal (hostname $name)"
done

for kind in libssh2 libssh nossh unix; do
    uri=${info[h2.uri_$kind]}
    name=$(no_tty timeout 30 virsh -q -c "$uri" hostname 2>&1) || fail "virsh -c $uri hostname: $name"
    [[ $name == h2 ]] || fail "$uri reached host '$name', not h2"
    ok "$kind route answers as h2: $uri"
done

# qemu+ssh:// runs the ssh program, which takes -i from keyfile= but never reads known_hosts=:
# without the bed's ssh_config (command=<bed>/ssh) the host key is unknown and ssh refuses.
uri="qemu+ssh://root@${info[h1.address]}/system?keyfile=${info[identity]}&known_hosts=${info[known_hosts]}&no_tty=1"
if out=$(no_tty timeout 30 virsh -q -c "$uri" version 2>&1); then
    fail "$uri answered, yet qemu+ssh:// should ignore known_hosts= (is ${info[h1.address]} in ~/.ssh/known_hosts?)"
fi
[[ $out == *"Host key verification failed"* ]] || fail "$uri failed, but not on the host key: $out"
ok "qemu+ssh:// ignores known_hosts= (use command=${info[ssh_command]}): 'Host key verification failed'"

# --------------------------------------------------------------------------------- a guest ---

uri1=${info[h1.uri_ssh]}
install -m 0644 "$guest/vmlinuz" "$guest/initrd.img" "${info[h1.images]}/"
serial_log=${info[h1.logs]}/qemu/$vm-serial.log
cat >"$work/$vm.xml" <<EOF
<domain type='qemu'>
  <name>$vm</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/var/lib/libvirt/images/vmlinuz</kernel>
    <initrd>/var/lib/libvirt/images/initrd.img</initrd>
    <cmdline>console=ttyS0 console=tty0</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='maximum'/>
  <devices>
    <interface type='user'><model type='virtio'/></interface>
    <serial type='pty'><log file='/var/log/libvirt/qemu/$vm-serial.log' append='off'/></serial>
    <console type='pty'/>
    <graphics type='vnc' port='-1' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>
  </devices>
</domain>
EOF
t0=$(now_ms)
out=$(no_tty timeout 60 virsh -q -c "$uri1" define "$work/$vm.xml" 2>&1) || fail "define $vm on h1: $out"
out=$(no_tty timeout 60 virsh -q -c "$uri1" start "$vm" 2>&1) || fail "start $vm on h1: $out"
ready() { grep -qa HEADLESSVM-GUEST-READY "$serial_log" 2>/dev/null; }
wait_until 180 "$vm's ready line in $serial_log" ready || fail "$vm never printed its ready line (see $serial_log)"
figures[boot]=$(( $(now_ms) - t0 ))
ok "$vm defined and started on h1 through ssh; serial log shows HEADLESSVM-GUEST-READY after ${figures[boot]} ms"

qemu_pid=$(read_pidfile "$root/h1/run/libvirt/qemu/$vm.pid") || fail "no pidfile for $vm's qemu in h1's /run/libvirt/qemu"
[[ $(stat -c %U "/proc/$qemu_pid") == libvirt-qemu ]] || fail "$vm's qemu (pid $qemu_pid) does not run as libvirt-qemu"
holder=$(read_pidfile "$root/h1/holder.pid")
[[ $(stat -L -c %i "/proc/$qemu_pid/ns/net") == "$(stat -L -c %i "/proc/$holder/ns/net")" ]] ||
    fail "$vm's qemu (pid $qemu_pid) is not in h1's network namespace"
ok "$vm's qemu (pid $qemu_pid) runs as libvirt-qemu in h1's network namespace"

display=$(no_tty timeout 30 virsh -q -c "$uri1" vncdisplay "$vm" 2>&1) || fail "vncdisplay: $display"
[[ $display =~ ^127\.0\.0\.1:([0-9]+)$ ]] || fail "$vm's VNC is not on h1's loopback: $display"
port=$((5900 + BASH_REMATCH[1]))
inside=$("$bed" exec h1 "$probe" "tcp:127.0.0.1:$port" 5 2>&1) || fail "h1's VNC does not answer on h1's own loopback: $inside"
ok "h1's VNC ($display) greets on h1's loopback: $inside"
if out=$("$probe" "tcp:${info[h1.address]}:$port" 5 2>&1); then
    fail "h1's VNC answered on ${info[h1.address]}:$port from this machine's namespace: $out"
fi
[[ $out == *"Connection refused"* ]] || fail "probing ${info[h1.address]}:$port failed, but not as refused: $out"
ok "h1's VNC ($display) is not reachable from here at ${info[h1.address]}:$port (connection refused)"

sock=$work/vnc.sock
ssh -F "${info[ssh_config]}" -o ExitOnForwardFailure=yes -N -L "$sock:127.0.0.1:$port" h1 </dev/null 2>"$work/ssh-L.err" &
forward_pid=$!
socket_ready() { [[ -S $sock ]] || ! pid_alive "$forward_pid"; }
wait_until 30 "ssh -L to make $sock" socket_ready || fail "ssh -L made no socket"
[[ -S $sock ]] || fail "ssh -L exited: $(cat "$work/ssh-L.err")"
[[ $(stat -c %a "$sock") == 600 ]] || fail "the forwarded socket is mode $(stat -c %a "$sock"), not 600"
greeting=$("$probe" "unix:$sock" 10 2>&1) || fail "no RFB greeting through $sock: $greeting"
[[ $greeting == "RFB 003.008" ]] || fail "unexpected greeting through the tunnel: $greeting"
ok "through ssh -L to a unix socket (mode 600), h1's VNC greets: $greeting"
stop_pid "$forward_pid" "ssh -L" 5 || fail "ssh -L (pid $forward_pid) would not stop"
forward_pid=''

out=$(no_tty timeout 60 virsh -q -c "$uri1" destroy "$vm" 2>&1) || fail "destroy $vm: $out"
out=$(no_tty timeout 60 virsh -q -c "$uri1" undefine "$vm" 2>&1) || fail "undefine $vm: $out"
wait_until 15 "$vm's qemu (pid $qemu_pid) to exit" pid_dead "$qemu_pid" || fail "$vm's qemu outlived destroy"
domains=$(no_tty timeout 30 virsh -q -c "$uri1" list --all --name 2>&1) || fail "list on h1: $domains"
[[ -z ${domains//[[:space:]]/} ]] || fail "h1 still has domains: $domains"
ok "$vm destroyed and undefined; its qemu is gone and h1 has no domain"

# ---------------------------------------------------------------------------------- faults ---

uri2=${info[h2.uri_ssh]}
"$bed" kill-libvirtd h2 2>/dev/null || fail "kill-libvirtd h2"
t0=$(now_ms)
if out=$(no_tty timeout 60 virsh -q -c "$uri2" list 2>&1); then fail "virsh list on h2 answered with its libvirtd killed"; fi
figures[dead_libvirtd]=$(( $(now_ms) - t0 ))
[[ $out == *"cannot connect to '/var/run/libvirt/libvirt-sock'"* ]] || fail "listing h2 failed with an unexpected error: $out"
ok "h2's libvirtd killed: virsh list fails after ${figures[dead_libvirtd]} ms: ${out##*$'\n'}"
"$bed" start-libvirtd h2 2>/dev/null || fail "start-libvirtd h2"
out=$(no_tty timeout 60 virsh -q -c "$uri2" list 2>&1) || fail "h2 still does not answer after start-libvirtd: $out"
ok "start-libvirtd h2: h2 answers again"

"$bed" cut-link h1 2>/dev/null || fail "cut-link h1"
t0=$(now_ms)
if out=$(no_tty timeout 60 virsh -q -c "$uri1" list 2>&1); then fail "virsh list on h1 answered with its link cut"; fi
figures[cut_link]=$(( $(now_ms) - t0 ))
ok "h1's link cut: virsh list fails after ${figures[cut_link]} ms: ${out##*$'\n'}"
"$bed" restore-link h1 2>/dev/null || fail "restore-link h1"
out=$(no_tty timeout 60 virsh -q -c "$uri1" list 2>&1) || fail "h1 does not answer after restore-link: $out"
ok "restore-link h1: h1 answers again"

"$bed" deny-key h2 2>/dev/null || fail "deny-key h2"
if out=$(no_tty timeout 60 virsh -q -c "$uri2" list 2>&1); then fail "virsh list on h2 answered with the key refused"; fi
[[ $out == *"Permission denied"* ]] || fail "h2 refused the key, but the error does not say so: $out"
ok "h2 refuses the key: ${out##*$'\n'}"
"$bed" allow-key h2 2>/dev/null || fail "allow-key h2"
out=$(no_tty timeout 60 virsh -q -c "$uri2" list 2>&1) || fail "h2 does not answer after allow-key: $out"
ok "allow-key h2: h2 answers again"

# ------------------------------------------------------------------------------------ down ---

# Everything the bed started, taken just before down: each host's namespace ids and members.
declare -a bed_ns=() bed_pids=()
for h in h1 h2; do
    read -r net _ <"$root/$h/ns"
    bed_ns+=("$net")
    while read -r dir; do
        pid=${dir#/proc/}
        bed_pids+=("${pid%/ns}")
    done < <(find -L /proc/[0-9]*/ns -maxdepth 1 -name net -inum "$net" -printf '%h\n' 2>/dev/null || true)
done
(( ${#bed_pids[@]} >= 8 )) || fail "expected at least 8 processes in the bed, found ${#bed_pids[@]}"

t0=$(now_ms)
"$bed" down 2>"$work/down.err" || { cat "$work/down.err" >&2; fail "hostbed.sh down"; }
figures[down]=$(( $(now_ms) - t0 ))
upped=0
ok "down in ${figures[down]} ms"

leftovers() {
    local pid net found=0
    for pid in "${bed_pids[@]}"; do
        if pid_alive "$pid"; then printf 'process %s (%s) still runs\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline")"; found=1; fi
    done
    for net in "${bed_ns[@]}"; do
        if find -L /proc/[0-9]*/ns -maxdepth 1 -name net -inum "$net" 2>/dev/null | grep -q .; then
            printf 'network namespace %s still has processes\n' "$net"; found=1
        fi
    done
    if ip -o link show | grep -q "${info[bridge]}"; then printf 'links left: %s\n' "$(ip -o link show | grep "${info[bridge]}")"; found=1; fi
    if grep -qF "$root" /proc/mounts; then printf 'mounts left: %s\n' "$(grep -F "$root" /proc/mounts)"; found=1; fi
    if [[ -e $root ]]; then printf '%s still exists\n' "$root"; found=1; fi
    return "$found"
}
out=$(leftovers) || fail "down left things behind: $out"
after=$(daemons_running)
for pid in $after; do
    [[ " $before " == *" $pid "* ]] && continue
    for bed_pid in "${bed_pids[@]}"; do
        if [[ $pid == "$bed_pid" ]]; then fail "bed process $pid survived down"; fi
    done
done
ok "nothing left: no bed process (${#bed_pids[@]} were running), namespace, link (ip link), mount (/proc/mounts) or folder; ip netns: '$(ip netns list | tr '\n' ' ')'"
printf '# libvirtd/virtlogd/sshd/qemu before: [%s] after: [%s] (others are not the bed'"'"'s)\n' "$before" "$after"

out=$("$bed" down 2>&1) || fail "a second down failed: $out"
ok "a second down is harmless: $out"

# ------------------------------------------------------------------------- partial up ---

# An `up` killed midway (no trap runs on SIGKILL) leaves a part of a bed; down removes it.
upped=1
"$bed" up 2 >/dev/null 2>&1 &
up_pid=$!
partial() { [[ -s $root/h2/ns ]] || ! pid_alive "$up_pid"; }
wait_until 60 "up to make h2's namespaces" partial || fail "up never reached h2"
kill -KILL "$up_pid" 2>/dev/null || true
wait "$up_pid" 2>/dev/null || true
[[ -e $root ]] || fail "the killed up left nothing to clean (it finished or failed too early)"
read -r net _ <"$root/h2/ns"
bed_ns=("$net")
read -r net _ <"$root/h1/ns"
bed_ns+=("$net")
bed_pids=()
"$bed" down 2>"$work/down.err" || { cat "$work/down.err" >&2; fail "down after a killed up"; }
upped=0
out=$(leftovers) || fail "down after a killed up left things behind: $out"
ok "down after an up killed midway leaves nothing"

# --------------------------------------------------------------------------------- figures ---

printf '# figures: up 2: %s ms; down: %s ms; idle host RSS %s / %s KiB (PSS %s / %s KiB); guest boot to ready: %s ms; list with libvirtd killed fails in %s ms; with link cut in %s ms\n' \
    "${figures[up]}" "${figures[down]}" "${figures[h1.rss]}" "${figures[h2.rss]}" "${figures[h1.pss]}" "${figures[h2.pss]}" \
    "${figures[boot]}" "${figures[dead_libvirtd]}" "${figures[cut_link]}"
printf '1..%d\n' "$checks"
