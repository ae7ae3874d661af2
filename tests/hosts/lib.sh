# shellcheck shell=bash
# Helpers shared by local-libvirt.sh, hostbed.sh and selftest.sh (sourced, never run).
# Every wait here is bounded; every process is stopped by its PID, never by its name.

hvm_prog=${0##*/}

die() { printf '%s: error: %s\n' "$hvm_prog" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$hvm_prog" "$*" >&2; }

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it starts system daemons and makes namespaces)"
}

# need_cmd COMMAND PACKAGE: stop with the apt-get line when COMMAND is missing.
need_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found; install it with: apt-get install $2"
}

# now_ms: wall clock in milliseconds (bash 5's EPOCHREALTIME, no fork).
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    printf '%s\n' "$((t / 1000))"
}

# pid_alive PID: the process exists and is not a zombie (a zombie answers kill -0 but is dead;
# daemons reparented to this machine's init stay zombies until init reaps them).
pid_alive() {
    local pid=$1 stat
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    # read, not $(<file): a failed $(<file) runs the EXIT trap in its subshell.
    { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# read_pidfile FILE: print the PID in FILE (daemons write it with or without a newline).
read_pidfile() {
    local pid
    [[ -r $1 ]] || return 1
    read -r pid <"$1" || [[ -n ${pid-} ]] || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$pid"
}

# pid_exe_is PID PATH: the process runs the executable PATH (so a reused PID is never mistaken).
pid_exe_is() {
    local exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    [[ ${exe% (deleted)} == "$2" ]]
}

# wait_until SECONDS WHAT COMMAND...: run COMMAND every 100 ms until it succeeds; fail with a
# message naming WHAT after SECONDS.
wait_until() {
    local seconds=$1 what=$2 deadline
    shift 2
    deadline=$(( $(now_ms) + seconds * 1000 ))
    until "$@"; do
        if (( $(now_ms) >= deadline )); then
            say "timed out after ${seconds}s waiting for $what"
            return 1
        fi
        sleep 0.1
    done
}

pid_dead() { ! pid_alive "$1"; }

# stop_pid PID NAME [SECONDS]: SIGTERM, wait up to SECONDS (default 10), then SIGKILL and wait
# 5 s more. Succeeds when the process is gone.
stop_pid() {
    local pid=$1 name=$2 seconds=${3:-10}
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_until "$seconds" "$name (pid $pid) to exit after SIGTERM" pid_dead "$pid" 2>/dev/null; then
        say "$name (pid $pid) ignored SIGTERM for ${seconds}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_until 5 "$name (pid $pid) to exit after SIGKILL" pid_dead "$pid" || return 1
    fi
}

all_dead() {
    local pid
    for pid in "$@"; do
        if pid_alive "$pid"; then return 1; fi
    done
}

# stop_pids SECONDS WHAT PID...: stop_pid for many at once (SIGTERM to all, one wait, SIGKILL to
# those left). Succeeds when all are gone.
stop_pids() {
    local seconds=$1 what=$2 pid left=()
    shift 2
    (($#)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    wait_until "$seconds" "$what to exit after SIGTERM" all_dead "$@" 2>/dev/null && return 0
    for pid in "$@"; do
        if pid_alive "$pid"; then left+=("$pid"); fi
    done
    say "$what: pid(s) ${left[*]} ignored SIGTERM for ${seconds}s; sending SIGKILL"
    kill -KILL "${left[@]}" 2>/dev/null || true
    wait_until 5 "$what to exit after SIGKILL" all_dead "${left[@]}"
}

# close_extra_fds: close every file descriptor above 2 in this shell. Call it in the subshell
# that starts a daemon: libvirtd and virtlogd keep whatever they inherit (a caller's pipe left
# open in a daemon would keep that caller waiting for end-of-file until the daemon stops).
close_extra_fds() {
    local f n
    for f in /proc/"$BASHPID"/fd/*; do
        n=${f##*/}
        if ((n > 2)); then { exec {n}>&-; } 2>/dev/null || true; fi
    done
}

# rss_kib PID / pss_kib PID: resident and proportional set size in KiB (0 if gone).
rss_kib() {
    local key value _
    while read -r key value _; do
        [[ $key == VmRSS: ]] && { printf '%s\n' "$value"; return 0; }
    done 2>/dev/null <"/proc/$1/status"
    printf '0\n'
}
pss_kib() {
    local key value _
    while read -r key value _; do
        [[ $key == Pss: ]] && { printf '%s\n' "$value"; return 0; }
    done 2>/dev/null <"/proc/$1/smaps_rollup"
    printf '0\n'
}
