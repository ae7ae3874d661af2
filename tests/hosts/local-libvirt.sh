#!/usr/bin/env bash
# Starts and stops this machine's own virtlogd and libvirtd (qemu:///system) without systemd.
#
#   tests/hosts/local-libvirt.sh start    start both (already running: fine), wait until
#                                         `virsh -c qemu:///system version` answers
#   tests/hosts/local-libvirt.sh stop     stop what `start` started, by PID; running domains of
#                                         that libvirtd are destroyed first (nothing is left)
#   tests/hosts/local-libvirt.sh status   exit 0 when qemu:///system answers, 3 when it does not
#
# The daemons use their default pidfiles (/run/virtlogd.pid, /run/libvirtd.pid) and sockets
# (/run/libvirt/), as an init system would start them. The PIDs this script started are kept in
# /run/headlessvm-local-libvirt/; `stop` stops only those, so a libvirtd that someone else
# started is reported and left alone.
#
# Environment: HVM_LIBVIRT_TIMEOUT  seconds to wait for each daemon (default 60; the first
#                                   start probes QEMU's capabilities, a few seconds under TCG).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$here/lib.sh"

timeout_s=${HVM_LIBVIRT_TIMEOUT:-60}
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "HVM_LIBVIRT_TIMEOUT must be a whole number of seconds, not '$timeout_s'"

state=/run/headlessvm-local-libvirt
uri=qemu:///system
libvirtd_exe=/usr/sbin/libvirtd
virtlogd_exe=/usr/sbin/virtlogd
autostart_default=/etc/libvirt/qemu/networks/autostart/default.xml

usage() {
    printf 'usage: %s start|stop|status\n' "$hvm_prog" >&2
    exit 2
}

# running_pid NAME: the PID of the running daemon NAME from its default pidfile, if any.
running_pid() {
    local name=$1 pid pidfile exe
    pidfile=/run/$name.pid
    exe=/usr/sbin/$name
    pid=$(read_pidfile "$pidfile") || return 1
    pid_alive "$pid" && pid_exe_is "$pid" "$exe" || return 1
    printf '%s\n' "$pid"
}

# answers: qemu:///system answers within 10 s (virsh never prompts here: root, local socket).
answers() {
    timeout 10 virsh -q -c "$uri" version >/dev/null 2>&1
}

# The `default` network would put a 192.168.122.0/24 bridge with a DHCP server (dnsmasq) into
# this machine's own network namespace as soon as libvirtd starts. Tests use user-mode networking
# only, so it must never autostart. Debian 12's libvirt-daemon-config-network defines it without
# the autostart link; remove the link if an earlier install or a person made one.
disable_default_network_autostart() {
    if [[ -e $autostart_default || -L $autostart_default ]]; then
        rm -f "$autostart_default"
        say "disabled autostart of libvirt's 'default' network (removed $autostart_default): it would add a 192.168.122.0/24 bridge with DHCP to this machine"
    fi
}

# start_daemon NAME LOGFILE: start NAME with -d and its default pidfile unless it runs already;
# print its PID. The daemon forks after it has bound its sockets.
start_daemon() {
    local name=$1 log=$2 pid
    if pid=$(running_pid "$name"); then
        say "$name already running (pid $pid)"
        printf '%s\n' "$pid"
        return 0
    fi
    mkdir -p "$state"
    # Logs go to a file: with no systemd and no syslog, libvirt's errors would be lost.
    if ! (close_extra_fds && exec env LIBVIRT_LOG_OUTPUTS="3:file:$log" "/usr/sbin/$name" -d -p "/run/$name.pid") \
        </dev/null >>"$state/$name.out" 2>&1; then
        die "$name did not start; see $state/$name.out and $log"
    fi
    wait_until "$timeout_s" "$name to write /run/$name.pid" running_pid "$name" ||
        die "$name did not start; see $state/$name.out and $log"
    pid=$(running_pid "$name")
    printf '%s\n' "$pid" >"$state/$name.started"
    say "started $name (pid $pid)"
    printf '%s\n' "$pid"
}

cmd_start() {
    need_root
    need_cmd "$libvirtd_exe" "libvirt-daemon-system"
    need_cmd "$virtlogd_exe" "libvirt-daemon-system"
    need_cmd virsh "libvirt-clients"
    disable_default_network_autostart
    if ! running_pid libvirtd >/dev/null && answers; then
        # Someone runs a libvirtd with another pidfile; two daemons cannot share the socket.
        say "qemu:///system already answers (a libvirtd not started through /run/libvirtd.pid); leaving it"
        return 0
    fi
    # libvirtd connects to virtlogd for every domain's log, so virtlogd comes first.
    start_daemon virtlogd /var/log/libvirt/virtlogd.log >/dev/null
    start_daemon libvirtd /var/log/libvirt/libvirtd.log >/dev/null
    # The first answer waits for libvirtd to probe QEMU's capabilities (a few seconds, cached).
    wait_until "$timeout_s" "$uri to answer" answers ||
        die "libvirtd runs but $uri does not answer; see /var/log/libvirt/libvirtd.log"
    say "$uri answers ($(virsh -q -c "$uri" version --daemon 2>/dev/null | sed -n 's/^Running against daemon: *//p'))"
}

# ours NAME: the PID of NAME if this script started it and it still runs.
ours() {
    local name=$1 pid started
    started=$(read_pidfile "$state/$name.started") || return 1
    pid=$(running_pid "$name") || return 1
    [[ $pid == "$started" ]] || return 1
    printf '%s\n' "$pid"
}

destroy_running_domains() {
    local names name
    names=$(timeout 20 virsh -q -c "$uri" list --name 2>/dev/null) || {
        say "could not list the domains of $uri; their qemu processes may outlive libvirtd"
        return 0
    }
    while read -r name; do
        [[ -n $name ]] || continue
        say "destroying running domain $name (qemu:///system is being stopped)"
        timeout 30 virsh -q -c "$uri" destroy "$name" >/dev/null || say "could not destroy $name"
    done <<<"$names"
}

cmd_stop() {
    need_root
    local pid name
    if pid=$(ours libvirtd); then
        destroy_running_domains
        stop_pid "$pid" libvirtd 20 || die "libvirtd (pid $pid) would not stop"
        say "stopped libvirtd (pid $pid)"
    elif pid=$(running_pid libvirtd); then
        say "libvirtd (pid $pid) was not started by $hvm_prog; leaving it"
    fi
    if pid=$(ours virtlogd); then
        stop_pid "$pid" virtlogd 10 || die "virtlogd (pid $pid) would not stop"
        say "stopped virtlogd (pid $pid)"
    elif pid=$(running_pid virtlogd); then
        say "virtlogd (pid $pid) was not started by $hvm_prog; leaving it"
    fi
    for name in libvirtd virtlogd; do
        rm -f "$state/$name.started" "$state/$name.out"
    done
    [[ ! -d $state ]] || rmdir "$state" 2>/dev/null || true
}

cmd_status() {
    local name pid how rc=0
    for name in virtlogd libvirtd; do
        if pid=$(running_pid "$name"); then
            how="not started by $hvm_prog"
            if [[ $(read_pidfile "$state/$name.started" 2>/dev/null || true) == "$pid" ]]; then
                how="started by $hvm_prog"
            fi
            printf '%-9s running, pid %s (%s)\n' "$name" "$pid" "$how"
        else
            printf '%-9s not running\n' "$name"
        fi
    done
    if answers; then
        printf '%-9s answers\n' "$uri"
    else
        printf '%-9s does not answer\n' "$uri"
        rc=3
    fi
    if [[ -e $autostart_default || -L $autostart_default ]]; then
        printf "warning: libvirt's 'default' network is set to autostart (%s)\n" "$autostart_default"
    fi
    return "$rc"
}

[[ $# -eq 1 ]] || usage
case $1 in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) usage ;;
esac
