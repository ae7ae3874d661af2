#!/usr/bin/env bash
# Builds the tiny HeadlessVm test guest from Debian packages only:
#   kernel   : /boot/vmlinuz-*-cloud-amd64 + /lib/modules/<ver>   (linux-image-cloud-amd64)
#   userland : /bin/busybox                                      (busybox-static)
#   ISO      : grub-mkrescue                                     (grub-pc-bin, grub-common, xorriso, mtools)
#   qcow2    : qemu-img                                          (qemu-utils)
#
# Usage: tests/guest/build-guest.sh [OUTDIR]
#   OUTDIR defaults to ${HEADLESSVM_GUEST_CACHE:-$HOME/.cache/headlessvm-test-guest}
#
# Outputs in OUTDIR: vmlinuz, initrd.img, guest.iso, guest.qcow2, build.stamp
# The build is cached: when all outputs exist and build.stamp matches
# (sha256 of this script + kernel version) the script exits at once.
# Progress goes to stderr; the last (only) stdout line is the OUTDIR path.
# See tests/guest/README.md for the guest protocol.
set -euo pipefail

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { printf 'build-guest: ERROR: %s\n' "$*" >&2; exit 1; }

OUTDIR="${1:-${HEADLESSVM_GUEST_CACHE:-$HOME/.cache/headlessvm-test-guest}}"
SCRIPT="$(readlink -f "${BASH_SOURCE[0]}")"
OUTPUTS=(vmlinuz initrd.img guest.iso guest.qcow2)
STAMP_NAME=build.stamp
# Kernel command line used for every boot medium (the C# tests pass the same for -kernel boots).
KERNEL_ARGS="console=ttyS0 console=tty0"

# ---------------------------------------------------------------- kernel ---
shopt -s nullglob
kernels=(/boot/vmlinuz-*cloud-amd64)
shopt -u nullglob
if [[ ${#kernels[@]} -eq 0 ]]; then
    die "no Debian cloud kernel found (/boot/vmlinuz-*cloud-amd64 is missing).
Install it first (as root):   apt-get install linux-image-cloud-amd64"
fi
KERNEL="$(printf '%s\n' "${kernels[@]}" | sort -V | tail -n 1)"
KVER="${KERNEL#/boot/vmlinuz-}"
MODDIR="/lib/modules/$KVER"
[[ -r "$KERNEL" ]] || die "$KERNEL is not readable (Debian installs kernels mode 0600 on some systems; run as root once or chmod a+r it)"
[[ -f "$MODDIR/modules.dep" ]] || die "$MODDIR/modules.dep is missing; reinstall with: apt-get install --reinstall linux-image-$KVER"

# ----------------------------------------------------------------- cache ---
STAMP="$(sha256sum < "$SCRIPT" | cut -d' ' -f1) $KVER"
is_fresh() {
    local f
    for f in "${OUTPUTS[@]}" "$STAMP_NAME"; do [[ -s "$OUTDIR/$f" ]] || return 1; done
    [[ "$(cat "$OUTDIR/$STAMP_NAME")" == "$STAMP" ]]
}
if is_fresh; then
    (cd "$OUTDIR" && pwd)
    exit 0
fi

# ------------------------------------------------------------------ tools ---
need() { # need <command> <debian package>
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install it with: apt-get install $2"
}
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || BUSYBOX=/usr/bin/busybox
[[ -x $BUSYBOX ]] || die "busybox not found; install it with: apt-get install busybox-static"
BB_APPLETS="$("$BUSYBOX" --list 2>/dev/null || true)"
if ! grep -qx acpid <<<"$BB_APPLETS" || ! grep -qx httpd <<<"$BB_APPLETS" \
    || [[ "$(LC_ALL=C file -L "$BUSYBOX" 2>/dev/null || true)" == *"dynamically linked"* ]]; then
    die "$BUSYBOX is not the static full busybox; install it with: apt-get install busybox-static"
fi
need gzip gzip
need grub-mkrescue "grub-common grub-pc-bin"
need xorriso xorriso
need mformat mtools
need qemu-img qemu-utils
[[ -f /usr/lib/grub/i386-pc/boot_hybrid.img ]] || die "GRUB BIOS files missing; install them with: apt-get install grub-pc-bin"

mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"

# Serialise concurrent builds into the same OUTDIR (parallel test runs).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$OUTDIR/.lock"
    flock 9
    if is_fresh; then echo "$OUTDIR"; exit 0; fi
fi

WORK="$(mktemp -d "$OUTDIR/.build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/initramfs"
log "building guest for kernel $KVER in $OUTDIR"

# -------------------------------------------------------------- userland ---
mkdir -p "$ROOT"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,www,var/log,var/run,lib/modules,etc/acpi/PWRF,etc/acpi/PWRB,usr/bin,usr/sbin}
cp "$BUSYBOX" "$ROOT/bin/busybox"
chmod 0755 "$ROOT/bin/busybox"
for applet in $BB_APPLETS; do
    [[ $applet == busybox ]] && continue
    ln -sf busybox "$ROOT/bin/$applet"
done
chmod 1777 "$ROOT/tmp"

# --------------------------------------------------------------- modules ---
# Wanted modules (missing/builtin ones are skipped). Deps resolved from modules.dep,
# loaded in dependency order by /init with insmod (no modprobe/depmod in the guest).
WANT_MODULES=(
    virtio_pci virtio_net virtio_blk virtio_scsi sd_mod ata_piix ata_generic
    button evdev i8042 atkbd serio_raw
)
declare -A DEPS=() PATH_OF=() SEEN=() BUILTIN=()
while IFS= read -r line; do
    n="${line##*/}"; n="${n%%.ko*}"; BUILTIN[${n//-/_}]=1
done < "$MODDIR/modules.builtin"
LOAD_ORDER=()
while IFS= read -r line; do
    p="${line%%:*}"
    DEPS[$p]="${line#*:}"
    n="${p##*/}"; n="${n%%.ko*}"; n="${n//-/_}"
    PATH_OF[$n]="$p"
done < "$MODDIR/modules.dep"
visit() {
    local p="$1" d
    [[ -n "${SEEN[$p]:-}" ]] && return 0
    SEEN[$p]=1
    for d in ${DEPS[$p]}; do visit "$d"; done
    LOAD_ORDER+=("$p")
}
for m in "${WANT_MODULES[@]}"; do
    m="${m//-/_}"
    if [[ -n "${PATH_OF[$m]:-}" ]]; then
        visit "${PATH_OF[$m]}"
    elif [[ -n "${BUILTIN[$m]:-}" ]]; then
        log "module $m is built into the kernel"
    else
        log "warning: module $m not available for $KVER (skipped)"
    fi
done
: > "$ROOT/etc/modules.load"
for p in "${LOAD_ORDER[@]}"; do
    base="${p##*/}"
    case "$base" in
        *.ko)     cp "$MODDIR/$p" "$ROOT/lib/modules/$base" ;;
        *.ko.xz)  base="${base%.xz}";  xz -dc   "$MODDIR/$p" > "$ROOT/lib/modules/$base" ;;
        *.ko.zst) base="${base%.zst}"; zstd -dqc "$MODDIR/$p" > "$ROOT/lib/modules/$base" ;;
        *.ko.gz)  base="${base%.gz}";  gzip -dc "$MODDIR/$p" > "$ROOT/lib/modules/$base" ;;
        *) die "unknown module file type: $p" ;;
    esac
    echo "$base" >> "$ROOT/etc/modules.load"
done
log "modules: $(tr '\n' ' ' < "$ROOT/etc/modules.load")"

# ----------------------------------------------------------- guest files ---
cat > "$ROOT/www/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>HeadlessVm test guest</title></head>
<body><h1>HEADLESSVM-GUEST-HTTP</h1><p>HeadlessVm test guest is serving HTTP.</p></body></html>
EOF

# ACPI power button (busybox acpid maps KEY_POWER of /dev/input/event* to PWRF/00000080).
cat > "$ROOT/etc/acpi/poweroff.sh" <<'EOF'
#!/bin/sh
echo HEADLESSVM-GUEST-POWEROFF > /dev/ttyS0
echo HEADLESSVM-GUEST-POWEROFF > /dev/tty0
sync
sleep 1
poweroff -f
EOF
chmod 0755 "$ROOT/etc/acpi/poweroff.sh"
ln -s ../poweroff.sh "$ROOT/etc/acpi/PWRF/00000080"
ln -s ../poweroff.sh "$ROOT/etc/acpi/PWRB/00000080"

cat > "$ROOT/etc/udhcpc.script" <<'EOF'
#!/bin/sh
case "$1" in
    bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        for r in $router; do ip route add default via "$r" dev "$interface"; break; done
        ;;
esac
exit 0
EOF
chmod 0755 "$ROOT/etc/udhcpc.script"

echo "root:x:0:0:root:/root:/bin/sh" > "$ROOT/etc/passwd"
echo "root:x:0:" > "$ROOT/etc/group"

cat > "$ROOT/init" <<'EOF'
#!/bin/sh
# HeadlessVm test guest /init (busybox sh). Protocol: see tests/guest/README.md.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null

ser() { echo "$*" > /dev/ttyS0 2>/dev/null; }     # serial console
vga() { echo "$*" > /dev/tty0 2>/dev/null; }      # current VT (VGA screen)
say() { ser "$*"; vga "$*"; }

ser "hvmtest: init started"

# Kernel command line options.
WRITEDISK=
NETMODE=static
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        hvmtest.writedisk=*) WRITEDISK="${arg#*=}" ;;
        hvmtest.net=*)       NETMODE="${arg#*=}" ;;
    esac
done

# 1. modules (dependency order precomputed at build time)
while read -r m; do
    [ -n "$m" ] && insmod "/lib/modules/$m" 2>/dev/null
done < /etc/modules.load

# 2. network: first ethernet NIC, qemu user-mode defaults
ip link set lo up
NIC=
for i in 1 2 3 4 5 6 7 8 9 10; do
    for d in /sys/class/net/*; do
        n="${d##*/}"
        [ "$n" = lo ] && continue
        [ "$(cat "$d/type" 2>/dev/null)" = 1 ] || continue
        NIC="$n"; break
    done
    [ -n "$NIC" ] && break
    # no NIC at all is fine; wait briefly only if virtio devices are still probing
    [ -d /sys/bus/virtio/drivers/virtio_net ] || break
    ls /sys/bus/virtio/devices/*/net >/dev/null 2>&1 || break
    sleep 0.2
done
if [ -n "$NIC" ]; then
    ip link set "$NIC" up
    case "$NETMODE" in
        dhcp) udhcpc -i "$NIC" -s /etc/udhcpc.script -n -q -t 5 -T 1 >/dev/null 2>&1 \
                || ser "hvmtest: dhcp failed on $NIC" ;;
        none) ;;
        *)    ip addr add 10.0.2.15/24 dev "$NIC"
              ip route add default via 10.0.2.2 dev "$NIC" ;;
    esac
    ser "hvmtest: network $NIC $(ip -4 -o addr show dev "$NIC" | awk '{print $4}')"
else
    ser "hvmtest: no ethernet NIC"
fi
httpd -p 80 -h /www && ser "hvmtest: httpd listening on port 80"

# 3. ACPI power button -> /etc/acpi/PWRF/00000080 (poweroff.sh)
acpid -c /etc/acpi -l /var/log/acpid.log -p /var/run/acpid.pid && ser "hvmtest: acpid started ($(ls /dev/input 2>/dev/null | tr '\n' ' '))"

# 4. optional disk write
if [ -n "$WRITEDISK" ]; then
    DEV="/dev/${WRITEDISK#/dev/}"
    i=0
    while [ ! -b "$DEV" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    if [ -b "$DEV" ] && dd if=/dev/urandom of="$DEV" bs=1M count=4 conv=fsync 2>/dev/null; then
        sync
        say HEADLESSVM-GUEST-DISK-WRITTEN
    else
        say "HEADLESSVM-GUEST-DISK-ERROR: cannot write $DEV"
    fi
fi

# 6. keyboard: lines typed on the VGA console (foreground VT tty1, PS/2 keyboard)
keyloop() {
    while :; do
        while IFS= read -r line; do
            ser "HEADLESSVM-GUEST-KEY: $line"
        done < /dev/tty1
        sleep 1
    done
}
keyloop </dev/null >/dev/null 2>&1 &

# 5. ready: keep the screen for the banner (only errors from the kernel from now on)
echo 4 > /proc/sys/kernel/printk
{
    printf '\033[2J\033[H\n'
    echo "HEADLESSVM-GUEST-READY"
    echo
    line() { printf '  ##  %-58s  ##\n' "$1"; }
    echo "  ##################################################################"
    line ""
    line "  H H H      HeadlessVm test guest      H H H"
    line ""
    line "kernel  $(uname -r)"
    line "net     ${NIC:-none}  http :80 -> HEADLESSVM-GUEST-HTTP"
    line "keys    typed lines -> serial HEADLESSVM-GUEST-KEY: <line>"
    line ""
    echo "  ##################################################################"
    echo
    echo "  Type a line and press Enter; it is echoed to the serial port."
    echo
} > /dev/tty0 2>/dev/null
ser HEADLESSVM-GUEST-READY

# 7. never exit (init exiting = kernel panic)
while :; do
    sleep 3600
done
EOF
chmod 0755 "$ROOT/init"

# ------------------------------------------------------------- initramfs ---
# newc entry written by hand for /dev/console so that no mknod/root is needed:
# the kernel opens /dev/console for init's stdio before /init mounts devtmpfs.
newc_entry() { # name mode(octal) rdevmajor rdevminor
    local name="$1" mode=$((8#$2)) maj=$3 min=$4 namesize=$((${#1} + 1)) hdr
    hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 "$mode" 0 0 1 0 0 0 0 "$maj" "$min" "$namesize" 0)
    printf '%s%s\0' "$hdr" "$name"
    local pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    head -c "$pad" /dev/zero
}
# (Two concatenated archives: the files, then dev/console. `cpio -i` stops after the first.)
{
    (cd "$ROOT" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null)
    newc_entry dev 040755 0 0
    newc_entry dev/console 020600 5 1
    newc_entry TRAILER!!! 0 0 0
} | gzip -9 -n > "$WORK/initrd.img"
cp "$KERNEL" "$WORK/vmlinuz"

# ------------------------------------------------------------------- ISO ---
ISO="$WORK/iso"
mkdir -p "$ISO/boot/grub"
cp "$WORK/vmlinuz" "$WORK/initrd.img" "$ISO/boot/"
cat > "$ISO/boot/grub/grub.cfg" <<EOF
set default=0
set timeout=0
set timeout_style=hidden
terminal_output console
menuentry "HeadlessVm test guest" {
    linux /boot/vmlinuz $KERNEL_ARGS
    initrd /boot/initrd.img
}
EOF
log "running grub-mkrescue"
grub-mkrescue -o "$WORK/guest.iso" "$ISO" \
    --install-modules="linux normal iso9660 biosdisk part_msdos part_gpt search search_fs_uuid search_label configfile echo test" \
    --locales= --fonts= --themes= >"$WORK/mkrescue.log" 2>&1 \
    || { cat "$WORK/mkrescue.log" >&2; die "grub-mkrescue failed"; }

# ----------------------------------------------------------------- qcow2 ---
# The grub-mkrescue ISO is hybrid (MBR + El Torito), so the same bytes boot from a hard disk.
qemu-img convert -q -f raw -O qcow2 "$WORK/guest.iso" "$WORK/guest.qcow2"

# ---------------------------------------------------------------- install ---
rm -f "$OUTDIR/$STAMP_NAME"
for f in "${OUTPUTS[@]}"; do mv -f "$WORK/$f" "$OUTDIR/$f"; done
echo "$STAMP" > "$OUTDIR/$STAMP_NAME"
log "done: $(cd "$OUTDIR" && ls -l "${OUTPUTS[@]}" | awk '{printf "%s=%s ", $NF, $5}')"
echo "$OUTDIR"
