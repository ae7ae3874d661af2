#!/usr/bin/env bash
# A bed of N libvirt "hosts" on this one machine, for tests, the benchmark and people.
#
#   hostbed.sh up N                 make hosts h1..hN; print the bed's facts (key=value lines)
#   hostbed.sh down                 stop everything by PID, delete links, remove the bed root
#   hostbed.sh status               what runs (exit 0 all well, 1 something is down, 3 no bed)
#   hostbed.sh info                 the facts `up` printed: addresses, URIs, ssh config, folders
#   hostbed.sh uri HOST [KIND]      one libvirt URI of HOST; KIND: ssh (default), libssh2,
#                                   libssh, nossh (no sshd: nsenter), unix (the socket itself)
#   hostbed.sh exec HOST CMD...     run CMD inside HOST (its mount, network and UTS namespaces)
#   hostbed.sh kill-libvirtd HOST   SIGKILL HOST's libvirtd (a crash); start-libvirtd HOST again
#   hostbed.sh start-libvirtd HOST  start HOST's libvirtd if it is not running, wait until it answers
#   hostbed.sh cut-link HOST        take HOST's link to the bridge down (packets are dropped)
#   hostbed.sh restore-link HOST    bring it back up
#   hostbed.sh deny-key HOST        HOST refuses the bed's client key; allow-key HOST accepts it again
#
# Each host hN is a process holding its own mount, network and UTS namespaces (hostname hN).
# Inside it, /run (and so /var/run), /etc/libvirt, /var/lib/libvirt, /var/log/libvirt,
# /var/cache/libvirt and root's home /root are bind mounts of folders under the bed root, and
# virtlogd, libvirtd and sshd run with their default pidfiles in that private /run. Its eth0 is
# a veth into a bridge in this machine's namespace; the bridge has BED_NET.1/24 and host i has
# BED_NET.(10+i). There is no route, NAT or forwarding out: traffic stays on the bridge and the
# hosts' loopbacks, and each VM's VNC listens on its own host's 127.0.0.1.
#
# Environment (read by `up`, then kept in the bed's bed.conf):
#   HVM_HOSTBED_ROOT     bed root (default /tmp/hvm-hostbed); every command uses it to find the bed
#   HVM_HOSTBED_NET      first three octets of the bed's /24 (default 10.231.0)
#   HVM_HOSTBED_BRIDGE   bridge name (default hvmbed0; at most 11 characters)
#   HVM_HOSTBED_TIMEOUT  seconds to wait for each daemon (default 60)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script=$here/$(basename "${BASH_SOURCE[0]}")
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$here/lib.sh"

root=${HVM_HOSTBED_ROOT:-/tmp/hvm-hostbed}
root=${root%/}
conf=$root/bed.conf
conf_magic='# headlessvm-hostbed 1'
max_hosts=50

# Filled by load_conf.
bridge='' net='' nhosts=0 timeout_s=60
# Nothing started here may inherit the lock: launches close lock_fd (daemons: every fd above 2),
# which is /dev/null until take_lock makes it the lock.
exec {lock_fd}</dev/null

usage() {
    sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$script" >&2
    exit 2
}

# The root goes into URIs, ssh_config and argv: keep it to characters that need no quoting.
[[ $root =~ ^/[A-Za-z0-9._/-]+$ && $root != *..* && $root =~ ^/[^/]+/ ]] ||
    die "HVM_HOSTBED_ROOT must be an absolute path below a top-level folder, of letters, digits and ._-/ ('$root')"

tag_of() { printf 'hvm-hostbed:%s:%s\n' "$root" "$1"; }
link_tag="hvm-hostbed:$root"

# ---------------------------------------------------------------------------------- config ---

load_conf() {
    local key value first
    [[ -f $conf ]] || return 1
    read -r first <"$conf" || return 1
    [[ $first == "$conf_magic" ]] || return 1
    while IFS='=' read -r key value; do
        case $key in
            bridge) bridge=$value ;;
            net) net=$value ;;
            hosts) nhosts=$value ;;
            timeout) timeout_s=$value ;;
        esac
    done <"$conf"
    [[ -n $bridge && -n $net && $nhosts =~ ^[0-9]+$ && $timeout_s =~ ^[0-9]+$ ]] ||
        die "$conf is damaged; remove the bed with: $hvm_prog down"
}

require_bed() {
    load_conf || die "no host bed at $root (start one with: $hvm_prog up N)"
}

host_index() {
    local h=$1
    [[ $h =~ ^h([1-9][0-9]*)$ ]] || die "unknown host '$h' (hosts are named h1..h$nhosts)"
    local i=${BASH_REMATCH[1]}
    (( i <= nhosts )) || die "unknown host '$h' (the bed has h1..h$nhosts)"
    printf '%s\n' "$i"
}
host_addr() { printf '%s.%s\n' "$net" "$((10 + $1))"; }
veth_of() { printf '%s-%s\n' "$bridge" "$1"; }

take_lock() {
    local parent=${root%/*}
    [[ -n $parent ]] || parent=/
    # The parent folder is the lock (flock on a directory): nothing is left behind by locking.
    exec {lock_fd}<&-
    exec {lock_fd}<"$parent"
    flock -w 120 "$lock_fd" || die "another $hvm_prog up/down on $parent held its lock for 120 s"
}

# ----------------------------------------------------------------------------- namespaces ---

# find_tagged TAG: the PID whose argv[0] is TAG (the holder of a host's namespaces).
find_tagged() {
    local tag=$1 p arg0
    for p in /proc/[0-9]*; do
        arg0=''
        IFS= read -r -d '' arg0 2>/dev/null <"$p/cmdline" || true
        if [[ $arg0 == "$tag" ]] && pid_alive "${p#/proc/}"; then
            printf '%s\n' "${p#/proc/}"
            return 0
        fi
    done
    return 1
}

# holder_of HOST: the PID holding HOST's namespaces (its recorded PID when that still carries
# the tag, else a search of /proc).
holder_of() {
    local tag pid arg0=''
    tag=$(tag_of "$1")
    if pid=$(read_pidfile "$root/$1/holder.pid" 2>/dev/null); then
        IFS= read -r -d '' arg0 2>/dev/null <"/proc/$pid/cmdline" || true
        if [[ $arg0 == "$tag" ]] && pid_alive "$pid"; then
            printf '%s\n' "$pid"
            return 0
        fi
    fi
    find_tagged "$tag"
}

# ns_ids PID: "NETINODE UTSINODE" of PID.
ns_ids() {
    local net uts
    net=$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) || return 1
    uts=$(stat -L -c %i "/proc/$1/ns/uts" 2>/dev/null) || return 1
    printf '%s %s\n' "$net" "$uts"
}

# host_ns HOST: the recorded namespace ids of HOST (taken when its holder was made).
host_ns() {
    local ids
    read -r ids 2>/dev/null <"$root/$1/ns" || return 1
    [[ $ids =~ ^[0-9]+\ [0-9]+$ ]] || return 1
    printf '%s\n' "$ids"
}

# ns_members NETINODE UTSINODE: every PID in both namespaces (the host's daemons, their qemu and
# ssh sessions). Both must match, so a namespace id reused by the kernel after the host is gone
# is not enough to make another process look like one of the host's.
ns_members() {
    local net=$1 uts=$2 dir
    local -A in_net=()
    while read -r dir; do
        in_net[$dir]=1
    done < <(find -L /proc/[0-9]*/ns -maxdepth 1 -name net -inum "$net" -printf '%h\n' 2>/dev/null || true)
    (( ${#in_net[@]} > 0 )) || return 0
    while read -r dir; do
        [[ -n ${in_net[$dir]-} ]] || continue
        dir=${dir#/proc/}
        dir=${dir%/ns}
        if pid_alive "$dir"; then printf '%s\n' "$dir"; fi
    done < <(find -L /proc/[0-9]*/ns -maxdepth 1 -name uts -inum "$uts" -printf '%h\n' 2>/dev/null || true)
}

# in_host HOST CMD...: run CMD in HOST's namespaces.
in_host() {
    local h=$1 holder
    shift
    holder=$(holder_of "$h") || die "host $h is not running (no namespace holder; run: $hvm_prog down, then up)"
    nsenter -t "$holder" -m -n -u -- "$@"
}

# member_pid HOST PIDFILE EXE: the PID in PIDFILE when it runs EXE inside HOST.
member_pid() {
    local h=$1 pidfile=$2 exe=$3 pid ids
    pid=$(read_pidfile "$pidfile") || return 1
    pid_alive "$pid" && pid_exe_is "$pid" "$exe" || return 1
    ids=$(host_ns "$h") || return 1
    [[ $(ns_ids "$pid") == "$ids" ]] || return 1
    printf '%s\n' "$pid"
}
libvirtd_pid() { member_pid "$1" "$root/$1/run/libvirtd.pid" /usr/sbin/libvirtd; }
virtlogd_pid() { member_pid "$1" "$root/$1/run/virtlogd.pid" /usr/sbin/virtlogd; }
sshd_pid() { member_pid "$1" "$root/$1/run/sshd.pid" /usr/sbin/sshd; }

# ------------------------------------------------------------------------------------- up ---

# The private copies of the folders libvirt uses, laid out and owned as Debian's
# libvirt-daemon-system postinst leaves them (libvirtd makes the rest on start).
make_host_tree() {
    local h=$1 d=$root/$1
    install -d -m 0755 "$d" "$d/run" "$d/run/sshd" "$d/etc-libvirt" "$d/lib" "$d/log" "$d/log/qemu"
    install -d -m 1777 "$d/run/lock"
    install -d -m 0700 "$d/ssh" "$d/home" "$d/home/.ssh"
    install -d -m 0711 "$d/lib/images" "$d/lib/boot" "$d/cache" "$d/cache/qemu"
    install -d -m 0700 "$d/lib/sanlock"
    install -d -m 0750 -o libvirt-qemu -g libvirt-qemu "$d/lib/qemu" "$d/lib/qemu/channel" "$d/lib/qemu/channel/target"
    install -d -m 0755 "$d/etc-libvirt/qemu" "$d/etc-libvirt/qemu/networks" "$d/etc-libvirt/qemu/networks/autostart"

    # Configuration written from scratch (not copied from /etc/libvirt), so that no domain,
    # network, pool or hook defined on this machine appears in a bed host.
    printf '%s\n' "# Host bed $h ($hvm_prog): logs go to files (no syslog here)." \
        'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' >"$d/etc-libvirt/libvirtd.conf"
    printf '%s\n' "# Host bed $h ($hvm_prog)." \
        'log_outputs = "3:file:/var/log/libvirt/virtlogd.log"' >"$d/etc-libvirt/virtlogd.conf"
    # All hosts share this machine's one cgroup tree, where libvirt would name each VM's group
    # /machine/qemu-ID-NAME.libvirt-qemu: the same VM name on two hosts would share a group.
    # Without cgroup controllers each host's VMs stay apart (no per-VM cgroup limits in the bed).
    # Everything else keeps Debian's defaults: qemu runs as libvirt-qemu:libvirt-qemu and
    # dynamic_ownership chowns the images a VM uses.
    printf '%s\n' "# Host bed $h ($hvm_prog)." 'cgroup_controllers = [ ]' >"$d/etc-libvirt/qemu.conf"
    chmod 0600 "$d/etc-libvirt/qemu.conf"
    # The `default` network, defined as on a fresh install but never autostarted: started, it
    # would want dnsmasq and a 192.168.122.0/24 bridge. The autostart folder stays empty.
    if [[ -f /usr/share/libvirt/networks/default.xml ]]; then
        install -m 0600 /usr/share/libvirt/networks/default.xml "$d/etc-libvirt/qemu/networks/default.xml"
    fi
    if [[ -d /etc/libvirt/nwfilter ]]; then
        cp -a /etc/libvirt/nwfilter "$d/etc-libvirt/nwfilter"
    fi
}

write_sshd_config() {
    local h=$1 addr=$2 d=$root/$1
    ssh-keygen -q -t ed25519 -N '' -C "hostbed-$h" -f "$d/ssh/ssh_host_ed25519_key"
    install -m 0600 "$root/id_ed25519.pub" "$d/home/.ssh/authorized_keys"
    cat >"$d/ssh/sshd_config" <<EOF
# Host bed $h ($hvm_prog). Read alone (no Include of /etc/ssh/sshd_config). Root's home is the
# host's own /root, so AuthorizedKeysFile and StrictModes keep their defaults.
ListenAddress $addr:22
HostKey $d/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
UseDNS no
LogLevel VERBOSE
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# launch_holder HOST: a process in new mount, network and UTS namespaces, named by its tag.
# setsid forks only when it leads a process group, which a background job of a script does
# not; so $! becomes the holder once it has exec'd (a search of /proc covers the other case).
launch_holder() {
    local h=$1 holder tag
    tag=$(tag_of "$h")
    (close_extra_fds && cd / && exec setsid unshare --mount --net --uts --propagation private -- "$BASH" "$script" __hold "$tag") \
        </dev/null >/dev/null 2>&1 {lock_fd}<&- &
    holder=$!
    printf '%s\n' "$holder" >"$root/$h/holder.pid"
    wait_until 10 "the namespace holder of $h" holder_of "$h" >/dev/null || die "could not make the namespaces of $h"
    holder=$(holder_of "$h")
    printf '%s\n' "$holder" >"$root/$h/holder.pid"
    ns_ids "$holder" >"$root/$h/ns"
    [[ $(ns_ids "$holder") != "$(ns_ids $$)" ]] || die "the holder of $h did not get its own namespaces"
}

setup_host() {
    local h=$1 addr=$2 veth holder
    veth=$(veth_of "$h")
    holder=$(holder_of "$h")
    ip link add "$veth" type veth peer name eth0 netns "$holder"
    ip link set "$veth" alias "$link_tag:$h"
    ip link set "$veth" master "$bridge" up
    # The rest runs inside the host, in one nsenter (this script again: __inside).
    in_host "$h" timeout "$timeout_s" "$BASH" "$script" __inside "$h" "$addr" {lock_fd}<&-
}

# __inside HOST ADDR (run inside HOST's namespaces by setup_host): name, addresses, mounts.
cmd_inside() {
    local h=$1 addr=$2 d=$root/$1
    hostname "$h"
    ip link set lo up
    ip addr add "$addr/24" dev eth0
    ip link set eth0 up
    mount --bind "$d/run" /run
    # /var/run is a symlink to /run on Debian 12; bind it too where it is a folder.
    if [[ ! -L /var/run ]]; then mount --bind "$d/run" /var/run; fi
    mount --bind "$d/etc-libvirt" /etc/libvirt
    mount --bind "$d/lib" /var/lib/libvirt
    mount --bind "$d/log" /var/log/libvirt
    mount --bind "$d/cache" /var/cache/libvirt
    # Root's own home: the ssh key sshd accepts, and no shell start-up files of this machine's
    # root (a slow ~/.bashrc would delay every ssh command, libvirt's among them).
    mount --bind "$d/home" /root
}

daemon_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)

start_libvirt_daemons() {
    local h=$1 d=$root/$1
    # virtlogd first: libvirtd hands every domain's console and log to it.
    if ! virtlogd_pid "$h" >/dev/null; then
        (close_extra_fds && in_host "$h" timeout "$timeout_s" "${daemon_env[@]}" /usr/sbin/virtlogd -d) </dev/null >>"$d/daemons.out" 2>&1 ||
            die "virtlogd did not start in $h; see $d/daemons.out and $d/log/virtlogd.log"
    fi
    (close_extra_fds && in_host "$h" timeout "$timeout_s" "${daemon_env[@]}" /usr/sbin/libvirtd -d) </dev/null >>"$d/daemons.out" 2>&1 ||
        die "libvirtd did not start in $h; see $d/daemons.out and $d/log/libvirtd.log"
}

start_sshd() {
    local h=$1 d=$root/$1
    (close_extra_fds && in_host "$h" timeout "$timeout_s" /usr/sbin/sshd -f "$d/ssh/sshd_config" -E "$d/sshd.log") </dev/null >>"$d/daemons.out" 2>&1 ||
        die "sshd did not start in $h: $(tail -n 3 "$d/sshd.log" 2>/dev/null)"
}

libvirt_answers() { in_host "$1" timeout 10 virsh -q -c qemu:///system version >/dev/null 2>&1; }
ssh_answers() { timeout 15 ssh -F "$root/ssh_config" "$1" true </dev/null >/dev/null 2>&1; }

wait_libvirtd() {
    local h=$1
    wait_until "$timeout_s" "libvirtd in $h to answer" libvirt_answers "$h" ||
        die "libvirtd in $h does not answer; see $root/$h/log/libvirtd.log"
}

# seed_caps FROM TO: copy QEMU's capabilities cache so that a new libvirtd need not probe QEMU
# again (a few seconds under TCG); libvirt re-probes by itself when a cached file is stale.
seed_caps() {
    local from=$1 to=$2
    [[ -d $from ]] || return 0
    compgen -G "$from/*.xml" >/dev/null || return 0
    install -d -m 0755 "$to"
    cp -p "$from"/*.xml "$to"/
}

write_client_files() {
    local i h addr names=() addrs=()
    : >"$root/known_hosts"
    for ((i = 1; i <= nhosts; i++)); do
        h=h$i
        addr=$(host_addr "$i")
        names+=("$h")
        addrs+=("$addr")
        read -r -a key <"$root/$h/ssh/ssh_host_ed25519_key.pub"
        printf '%s,%s %s %s\n' "$h" "$addr" "${key[0]}" "${key[1]}" >>"$root/known_hosts"
    done
    {
        printf '# Host bed (%s): ssh -F %s HOST. Generated by up, removed by down.\n' "$hvm_prog" "$root/ssh_config"
        for ((i = 1; i <= nhosts; i++)); do
            printf 'Host h%s\n    HostName %s\n' "$i" "${addrs[i - 1]}"
        done
        printf 'Host %s\n' "${names[*]} ${addrs[*]}"
        cat <<EOF
    User root
    Port 22
    IdentityFile $root/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $root/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    CheckHostIP no
    BatchMode yes
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    ConnectTimeout 5
    ServerAliveInterval 2
    ServerAliveCountMax 3
    LogLevel ERROR
EOF
    } >"$root/ssh_config"
    # The ssh program for libvirt's command= parameter: qemu+ssh:// runs `ssh -p -l -i -T -e
    # none [-o BatchMode=yes] -- HOST CMD` and reads neither known_hosts= nor sshauth= (those are
    # for qemu+libssh2:// and qemu+libssh://), so the bed's known_hosts comes from this config.
    printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$root/ssh_config" >"$root/ssh"
    printf '#!/bin/bash\nexec /usr/bin/env HVM_HOSTBED_ROOT=%s %q __nsenter-ssh "$@"\n' "$root" "$script" >"$root/nsenter-ssh"
    chmod 0700 "$root/ssh" "$root/nsenter-ssh"
}

uri_of() {
    local h=$1 kind=${2:-ssh} i addr
    i=$(host_index "$h")
    addr=$(host_addr "$i")
    case $kind in
        ssh) printf 'qemu+ssh://root@%s/system?command=%s&no_tty=1\n' "$addr" "$root/ssh" ;;
        libssh2 | libssh)
            printf 'qemu+%s://root@%s/system?keyfile=%s&known_hosts=%s&sshauth=privkey\n' \
                "$kind" "$addr" "$root/id_ed25519" "$root/known_hosts" ;;
        nossh) printf 'qemu+ssh://root@%s/system?command=%s&no_tty=1\n' "$h" "$root/nsenter-ssh" ;;
        unix) printf 'qemu+unix:///system?socket=%s\n' "$root/$h/run/libvirt/libvirt-sock" ;;
        *) die "unknown URI kind '$kind' (ssh, libssh2, libssh, nossh, unix)" ;;
    esac
}

print_info() {
    local i h kind hosts=()
    for ((i = 1; i <= nhosts; i++)); do hosts+=("h$i"); done
    printf 'root=%s\n' "$root"
    printf 'hosts=%s\n' "${hosts[*]}"
    printf 'bridge=%s\n' "$bridge"
    printf 'bridge_address=%s.1\n' "$net"
    printf 'ssh_config=%s\n' "$root/ssh_config"
    printf 'ssh_command=%s\n' "$root/ssh"
    printf 'identity=%s\n' "$root/id_ed25519"
    printf 'known_hosts=%s\n' "$root/known_hosts"
    for h in "${hosts[@]}"; do
        printf '%s.address=%s\n' "$h" "$(host_addr "${h#h}")"
        for kind in ssh libssh2 libssh nossh unix; do
            printf '%s.uri_%s=%s\n' "$h" "$kind" "$(uri_of "$h" "$kind")"
        done
        printf '%s.images=%s\n' "$h" "$root/$h/lib/images"
        printf '%s.logs=%s\n' "$h" "$root/$h/log"
    done
}

bed_exists() {
    [[ -e $root ]] && return 0
    [[ -e /sys/class/net/$bridge ]] && return 0
    find_tagged_prefix >/dev/null && return 0
    return 1
}

# find_tagged_prefix: PIDs of any holder of this bed root.
find_tagged_prefix() {
    local p arg0 found=1
    for p in /proc/[0-9]*; do
        arg0=''
        IFS= read -r -d '' arg0 2>/dev/null <"$p/cmdline" || true
        if [[ $arg0 == "hvm-hostbed:$root:"* ]] && pid_alive "${p#/proc/}"; then
            printf '%s %s\n' "${p#/proc/}" "${arg0##*:}"
            found=0
        fi
    done
    return "$found"
}

# show_logs: the end of every daemon log of the bed, to stderr (they go with the bed).
show_logs() {
    local f
    for f in "$root"/h*/daemons.out "$root"/h*/log/libvirtd.log "$root"/h*/log/virtlogd.log "$root"/h*/sshd.log; do
        if [[ -s $f ]]; then
            printf -- '--- %s (last 5 lines)\n' "$f" >&2
            tail -n 5 "$f" >&2
        fi
    done
}

up_failed() {
    local rc=$?
    trap - EXIT
    if [[ $rc -ne 0 ]]; then
        if [[ ${HVM_HOSTBED_KEEP_FAILED:-0} == 1 ]]; then
            say "up failed; the partial bed is kept (HVM_HOSTBED_KEEP_FAILED=1); remove it with: $hvm_prog down"
        else
            show_logs
            say "up failed; removing the partial bed (HVM_HOSTBED_KEEP_FAILED=1 keeps it)"
            teardown || say "removing the partial bed failed too; run: $hvm_prog down"
        fi
    fi
    exit "$rc"
}

cmd_up() {
    [[ $# -eq 1 && $1 =~ ^[1-9][0-9]*$ ]] || die "usage: $hvm_prog up N (1 to $max_hosts hosts)"
    nhosts=$1
    (( nhosts <= max_hosts )) || die "at most $max_hosts hosts (addresses .11 to .$((10 + max_hosts)))"
    bridge=${HVM_HOSTBED_BRIDGE:-hvmbed0}
    net=${HVM_HOSTBED_NET:-10.231.0}
    timeout_s=${HVM_HOSTBED_TIMEOUT:-60}
    [[ $bridge =~ ^[A-Za-z][A-Za-z0-9]{0,10}$ ]] || die "HVM_HOSTBED_BRIDGE must be a letter then up to 10 letters or digits ('$bridge')"
    if ! [[ $net =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] ||
        ((BASH_REMATCH[1] > 255 || BASH_REMATCH[2] > 255 || BASH_REMATCH[3] > 255)); then
        die "HVM_HOSTBED_NET must be three octets such as 10.231.0 ('$net')"
    fi
    [[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "HVM_HOSTBED_TIMEOUT must be a whole number of seconds ('$timeout_s')"
    need_root
    need_cmd unshare util-linux
    need_cmd nsenter util-linux
    need_cmd flock util-linux
    need_cmd ip iproute2
    need_cmd ssh openssh-client
    need_cmd ssh-keygen openssh-client
    need_cmd /usr/sbin/sshd openssh-server
    need_cmd /usr/sbin/libvirtd libvirt-daemon-system
    need_cmd /usr/sbin/virtlogd libvirt-daemon-system
    need_cmd virsh libvirt-clients
    getent passwd libvirt-qemu >/dev/null || die "user libvirt-qemu is missing; reinstall libvirt-daemon-system"
    getent passwd sshd >/dev/null || die "user sshd (privilege separation) is missing; reinstall openssh-server"

    take_lock
    if [[ -e /sys/class/net/$bridge && -z $(bed_links) ]]; then
        die "a link named $bridge exists and is not this bed's bridge; choose another HVM_HOSTBED_BRIDGE"
    fi
    if bed_exists; then
        die "a host bed (or part of one) exists at $root; remove it first with: $hvm_prog down"
    fi
    if [[ -n $(ip -4 -o addr show to "$net.0/24") ]]; then
        die "$net.0/24 is already in use on this machine; choose another HVM_HOSTBED_NET"
    fi

    local t0 t_made t_h1 i h addr
    t0=$(now_ms)
    install -d -m 0700 "$root"
    printf '%s\nbridge=%s\nnet=%s\nhosts=%s\ntimeout=%s\n' "$conf_magic" "$bridge" "$net" "$nhosts" "$timeout_s" >"$conf"
    trap up_failed EXIT

    ssh-keygen -q -t ed25519 -N '' -C "hostbed-client@$root" -f "$root/id_ed25519"

    ip link add "$bridge" type bridge stp_state 0 forward_delay 0
    ip link set "$bridge" alias "$link_tag"
    ip addr add "$net.1/24" dev "$bridge"
    ip link set "$bridge" up

    for ((i = 1; i <= nhosts; i++)); do
        h=h$i
        addr=$(host_addr "$i")
        make_host_tree "$h"
        write_sshd_config "$h" "$addr"
        launch_holder "$h"
        setup_host "$h" "$addr"
    done
    write_client_files

    t_made=$(now_ms)
    # h1 probes QEMU (or reuses this machine's cache); the others start from h1's cache.
    seed_caps /var/cache/libvirt/qemu/capabilities "$root/h1/cache/qemu/capabilities"
    start_libvirt_daemons h1
    wait_libvirtd h1
    t_h1=$(now_ms)
    for ((i = 2; i <= nhosts; i++)); do
        seed_caps "$root/h1/cache/qemu/capabilities" "$root/h$i/cache/qemu/capabilities"
        start_libvirt_daemons "h$i"
    done
    for ((i = 1; i <= nhosts; i++)); do
        start_sshd "h$i"
    done
    for ((i = 2; i <= nhosts; i++)); do
        wait_libvirtd "h$i"
    done
    for ((i = 1; i <= nhosts; i++)); do
        h=h$i
        wait_until "$timeout_s" "sshd in $h to accept the bed's key" ssh_answers "$h" ||
            die "ssh to $h fails: $(timeout 15 ssh -F "$root/ssh_config" "$h" true 2>&1 </dev/null | tail -n 1); see $root/$h/sshd.log"
    done
    trap - EXIT
    say "$nhosts host(s) up in $(( $(now_ms) - t0 )) ms (namespaces, links, mounts: $((t_made - t0)) ms; libvirtd of h1: $((t_h1 - t_made)) ms; the other daemons: $(( $(now_ms) - t_h1 )) ms)"
    print_info
}

# __hold TAG: the namespace holder (run by unshare): sleep forever under a findable name.
cmd_hold() {
    exec -a "$1" sleep infinity
}

# ----------------------------------------------------------------------------------- down ---

# host_ids HOST: HOST's namespace ids, recorded or from its holder.
host_ids() {
    local holder
    host_ns "$1" && return 0
    holder=$(holder_of "$1") && ns_ids "$holder"
}

ns_empty() { [[ -z $(ns_members "$1" "$2") ]]; }

# bed_links: names of this machine's links tagged with this bed's root (veths, then the bridge).
bed_links() {
    local f alias name bridges=()
    for f in /sys/class/net/*/ifalias; do
        alias=''
        read -r alias 2>/dev/null <"$f" || true
        [[ $alias == "$link_tag" || $alias == "$link_tag:"* ]] || continue
        name=${f%/ifalias}
        name=${name##*/}
        if [[ -d /sys/class/net/$name/bridge ]]; then bridges+=("$name"); else printf '%s\n' "$name"; fi
    done
    (( ${#bridges[@]} == 0 )) || printf '%s\n' "${bridges[@]}"
}

link_gone() { [[ ! -e /sys/class/net/$1 ]]; }

teardown() {
    local h hosts=() seen line link ids pid name daemons=() members=()
    local -A known=() host_ids_of=()
    if load_conf; then
        for ((i = 1; i <= nhosts; i++)); do known[h$i]=1; done
    fi
    for seen in "$root"/h[0-9]*; do
        if [[ -d $seen ]]; then known[${seen##*/}]=1; fi
    done
    while read -r line; do
        if [[ -n $line ]]; then known[${line##* }]=1; fi
    done < <(find_tagged_prefix || true)
    hosts=("${!known[@]}")
    for h in "${hosts[@]}"; do
        if ids=$(host_ids "$h"); then host_ids_of[$h]=$ids; fi
    done
    # All hosts at once. First sshd and libvirtd, by pidfile, as their init scripts would stop
    # them (libvirtd leaves its VMs running, as it does on a real host).
    for h in "${!host_ids_of[@]}"; do
        for name in sshd libvirtd; do
            if pid=$("${name}_pid" "$h"); then daemons+=("$pid"); fi
        done
    done
    stop_pids 15 "sshd and libvirtd of the bed" "${daemons[@]}" || say "some daemons of the bed would not stop"
    # Then everything left in the hosts' namespaces: virtlogd, qemu, ssh sessions, the holders.
    for h in "${!host_ids_of[@]}"; do
        # shellcheck disable=SC2086 # two numbers
        mapfile -t -O "${#members[@]}" members < <(ns_members ${host_ids_of[$h]})
    done
    stop_pids 10 "the processes in the bed's namespaces" "${members[@]}" || say "some processes of the bed would not stop"
    for h in "${!host_ids_of[@]}"; do
        # shellcheck disable=SC2086
        wait_until 10 "the namespaces of $h to empty" ns_empty ${host_ids_of[$h]} ||
            say "processes left in $h: $(ns_members ${host_ids_of[$h]} | tr '\n' ' ')"
    done
    # A holder whose namespace ids were never recorded (up killed in between).
    for h in "${hosts[@]}"; do
        if pid=$(holder_of "$h"); then stop_pid "$pid" "holder of $h" 5 || say "the holder of $h (pid $pid) would not stop"; fi
    done
    # A veth goes with its namespace, asynchronously: give it a moment, then delete what is
    # still there. The bridge (listed last) is deleted at once.
    while read -r link; do
        [[ -n $link ]] || continue
        if [[ ! -d /sys/class/net/$link/bridge ]]; then wait_until 3 "link $link to go" link_gone "$link" 2>/dev/null || true; fi
        if ! link_gone "$link"; then ip link del "$link" 2>/dev/null || true; fi
        link_gone "$link" || { say "could not delete link $link"; return 1; }
    done < <(bed_links)
    if [[ -e $root ]]; then
        if ! [[ -f $conf && $(head -n 1 "$conf") == "$conf_magic" ]]; then
            die "$root exists but is not a host bed (no $conf); not removed"
        fi
        # Mounts of the bed live only in the hosts' mount namespaces, gone with their processes.
        if awk -v r="$root" '$2 == r || index($2, r "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
            die "something is mounted under $root in this namespace; not removing it"
        fi
        rm -rf --one-file-system "$root"
    fi
}

cmd_down() {
    need_root
    take_lock
    local t0
    t0=$(now_ms)
    if ! [[ -e $root ]] && [[ -z $(bed_links) ]] && ! find_tagged_prefix >/dev/null; then
        say "no host bed at $root; nothing to do"
        return 0
    fi
    teardown
    say "host bed at $root removed in $(( $(now_ms) - t0 )) ms"
}

# --------------------------------------------------------------------------------- status ---

cmd_status() {
    if ! load_conf; then
        printf 'no host bed at %s\n' "$root"
        if [[ -n $(bed_links) ]] || find_tagged_prefix >/dev/null; then
            printf 'but parts of one are left (links or namespace holders): run %s down\n' "$hvm_prog"
        fi
        return 3
    fi
    local rc=0 i h ids holder pid name member veth state comm kib total
    printf 'host bed %s: %s host(s), bridge %s %s.1/24\n' "$root" "$nhosts" "$bridge" "$net"
    for ((i = 1; i <= nhosts; i++)); do
        h=h$i
        veth=$(veth_of "$h")
        state=missing
        if [[ -r /sys/class/net/$veth/operstate ]]; then read -r state <"/sys/class/net/$veth/operstate"; fi
        printf '%s %s link %s\n' "$h" "$(host_addr "$i")" "$state"
        [[ $state == up ]] || rc=1
        if ! holder=$(holder_of "$h") || ! ids=$(host_ns "$h"); then
            rc=1
            # shellcheck disable=SC2086 # two numbers
            if ids=$(host_ns "$h") && [[ -n $(ns_members $ids) ]]; then
                printf '    namespace holder gone; processes left in its namespaces: %s (run %s down)\n' \
                    "$(ns_members $ids | tr '\n' ' ')" "$hvm_prog"
            else
                printf '    namespaces: gone\n'
            fi
            continue
        fi
        for name in virtlogd libvirtd sshd; do
            if pid=$("${name}_pid" "$h"); then
                printf '    %-9s pid %s\n' "$name" "$pid"
            else
                printf '    %-9s not running\n' "$name"
                rc=1
            fi
        done
        if libvirt_answers "$h"; then printf '    qemu:///system answers\n'; else printf '    qemu:///system does not answer\n'; rc=1; fi
        total=0
        # shellcheck disable=SC2086
        while read -r member; do
            [[ -n $member ]] || continue
            kib=$(rss_kib "$member")
            total=$((total + kib))
            read -r comm 2>/dev/null <"/proc/$member/comm" || comm='?'
            case $member in "$holder") comm="holder ($comm)" ;; esac
            printf '    pid %-7s %-16s %6s KiB\n' "$member" "$comm" "$kib"
        done < <(ns_members $ids)
        printf '    total RSS %s KiB\n' "$total"
    done
    return "$rc"
}

# ---------------------------------------------------------------------------------- faults ---

cmd_kill_libvirtd() {
    local h=$1 pid
    host_index "$h" >/dev/null
    pid=$(libvirtd_pid "$h") || die "libvirtd is not running in $h"
    kill -KILL "$pid"
    wait_until 5 "libvirtd in $h (pid $pid) to die" pid_dead "$pid" || die "libvirtd in $h (pid $pid) survived SIGKILL"
    say "killed libvirtd in $h (pid $pid)"
}

cmd_start_libvirtd() {
    local h=$1 pid
    host_index "$h" >/dev/null
    if pid=$(libvirtd_pid "$h"); then
        say "libvirtd already runs in $h (pid $pid)"
    else
        start_libvirt_daemons "$h"
    fi
    wait_libvirtd "$h"
    say "libvirtd in $h answers (pid $(libvirtd_pid "$h"))"
}

cmd_link() {
    local h=$1 updown=$2 veth
    host_index "$h" >/dev/null
    veth=$(veth_of "$h")
    [[ -e /sys/class/net/$veth ]] || die "link $veth of $h does not exist"
    ip link set "$veth" "$updown"
    say "link of $h ($veth) is $updown"
}

cmd_key() {
    local h=$1 allow=$2 keys
    host_index "$h" >/dev/null
    keys=$root/$h/home/.ssh/authorized_keys
    if [[ $allow == yes ]]; then
        install -m 0600 "$root/id_ed25519.pub" "$keys"
        say "$h accepts the bed's key again"
    else
        : >"$keys"
        say "$h refuses the bed's key (ssh fails with 'Permission denied (publickey)')"
    fi
}

# ------------------------------------------------------------------------- nsenter-ssh ---

# __nsenter-ssh [ssh options] [--] HOST COMMAND...: what libvirt's qemu+ssh:// runs (with
# command=<bed>/nsenter-ssh), done without sshd: COMMAND is handed to /bin/sh -c inside HOST,
# as sshd hands a remote command to the user's shell. For fast tests only: cut-link does not
# reach it, and it knows nothing of forwarding.
cmd_nsenter_ssh() {
    local user=root h='' i holder
    while (($#)); do
        case $1 in
            --) shift; break ;;
            -l) user=$2; shift 2 ;;
            -p | -i | -o | -e | -F | -E) shift 2 ;;
            -l?*) user=${1#-l}; shift ;;
            -[pioeFE]?*) shift ;;
            -[TtnqxaAC46]) shift ;;
            -*) printf 'nsenter-ssh: unsupported ssh option %s\n' "$1" >&2; exit 255 ;;
            *) break ;;
        esac
    done
    (($# >= 2)) || { printf 'nsenter-ssh: need HOST and a COMMAND (no interactive shells)\n' >&2; exit 255; }
    [[ $user == root ]] || { printf 'nsenter-ssh: %s@%s: Permission denied (only root)\n' "$user" "$1" >&2; exit 255; }
    load_conf || { printf 'nsenter-ssh: no host bed at %s\n' "$root" >&2; exit 255; }
    for ((i = 1; i <= nhosts; i++)); do
        if [[ $1 == "h$i" || $1 == "$(host_addr "$i")" ]]; then h=h$i; fi
    done
    [[ -n $h ]] || { printf 'nsenter-ssh: Could not resolve hostname %s\n' "$1" >&2; exit 255; }
    holder=$(holder_of "$h") || { printf 'nsenter-ssh: connect to host %s: Connection refused (host down)\n' "$1" >&2; exit 255; }
    shift
    exec nsenter -t "$holder" -m -n -u -- /bin/sh -c "$*"
}

# ----------------------------------------------------------------------------------- main ---

(($# >= 1)) || usage
command=$1
shift
case $command in
    up) cmd_up "$@" ;;
    down) [[ $# -eq 0 ]] || usage; cmd_down ;;
    status) [[ $# -eq 0 ]] || usage; cmd_status ;;
    info) [[ $# -eq 0 ]] || usage; require_bed; print_info ;;
    uri) [[ $# -ge 1 && $# -le 2 ]] || usage; require_bed; uri_of "$@" ;;
    exec)
        (($# >= 2)) || usage
        require_bed
        host_index "$1" >/dev/null
        h=$1
        shift
        holder=$(holder_of "$h") || die "host $h is not running"
        exec nsenter -t "$holder" -m -n -u -- "$@"
        ;;
    kill-libvirtd) [[ $# -eq 1 ]] || usage; need_root; require_bed; cmd_kill_libvirtd "$1" ;;
    start-libvirtd) [[ $# -eq 1 ]] || usage; need_root; require_bed; cmd_start_libvirtd "$1" ;;
    cut-link) [[ $# -eq 1 ]] || usage; need_root; require_bed; cmd_link "$1" down ;;
    restore-link) [[ $# -eq 1 ]] || usage; need_root; require_bed; cmd_link "$1" up ;;
    deny-key) [[ $# -eq 1 ]] || usage; require_bed; cmd_key "$1" no ;;
    allow-key) [[ $# -eq 1 ]] || usage; require_bed; cmd_key "$1" yes ;;
    __hold) cmd_hold "$@" ;;
    __inside) cmd_inside "$@" ;;
    __nsenter-ssh) cmd_nsenter_ssh "$@" ;;
    -h | --help | help) usage ;;
    *) printf '%s: error: unknown command %s (see: %s --help)\n' "$hvm_prog" "$command" "$hvm_prog" >&2; exit 2 ;;
esac
