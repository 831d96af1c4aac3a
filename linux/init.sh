#!/bin/sh
# /init of Vireo's default Linux guest (linux/build-guest-image.sh puts this file in the initramfs).
#
# Kernel command line (see linux/README.md):
#   vireo.cmd=<base64>   run this command with `sh -c`, output on the console, then report its exit
#                        status to the VMM and stop. Without it: an interactive shell on the console.
#   vireo.ip=ADDR/PREFIX configure eth0 (virtio-net) with this address after loading the modules.
#   vireo.debug          trace this script (set -x) on the console.
#
# Exit status N (only with vireo.cmd), in this order; the first one the VMM implements ends the VM:
#   1. one byte N to I/O port 0xf8: Vireo's exact-status port (QEMU has nothing there and ignores it);
#   2. N = 0: power off (ACPI S5);  odd N: (N-1)/2 to port 0xf4 (QEMU isa-debug-exit: status N);
#      even N: N/2 to port 0xf4 (isa-debug-exit gives N+1; a note with the true N is printed first);
#   3. still running after 1 s (no exit port, or port I/O refused): reset (reboot -f), never power off.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=${TERM:-linux}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run

cmd_b64= ip_addr=
for word in $(cat /proc/cmdline); do
    case $word in
        vireo.cmd=*) cmd_b64=${word#vireo.cmd=} ;;
        vireo.ip=*) ip_addr=${word#vireo.ip=} ;;
        vireo.debug) set -x ;;
    esac
done

note() { echo "vireo-init: $*" >/dev/console; }

kver=$(uname -r)
# busybox insmod does not read module.param=value from the kernel command line as modprobe does:
# hand each module its own (e.g. virtio_blk.poll_queues=1).
while read -r ko; do
    [ -n "$ko" ] || continue
    mod=$(basename "$ko" .ko | tr - _)
    params=
    for word in $(cat /proc/cmdline); do
        case "$word" in
            "$mod".*=*) params="$params ${word#"$mod".}" ;;
        esac
    done
    # shellcheck disable=SC2086 # one word per parameter
    insmod "/lib/modules/$kver/$ko" $params || note "insmod $ko failed"
done < "/lib/modules/$kver/load-order"

ip link set lo up 2>/dev/null
if [ -n "$ip_addr" ]; then
    ip addr add "$ip_addr" dev eth0 && ip link set eth0 up || note "cannot configure eth0 with $ip_addr"
fi

# Wait until everything written to the console has left the UART (stty sets attributes with
# TCSADRAIN), so that the VMM has all of the output before the VM stops.
drain_console() { stty -F /dev/console -onlcr 2>/dev/null; }

# outb PORT VALUE without the shell's "Segmentation fault" line when user-space port I/O is refused.
port_write() { (outb "$1" "$2") 2>/dev/null; }

report_status() {
    n=$1
    drain_console
    port_write 0xf8 "$n"                       # Vireo: exit with status n exactly
    if [ "$n" -eq 0 ]; then
        sync
        echo 0 > /proc/sys/kernel/printk       # no "reboot: Power down" after the command's output
        poweroff -f
    elif [ $((n % 2)) -eq 1 ]; then
        port_write 0xf4 $(((n - 1) / 2))       # isa-debug-exit: (v << 1) | 1 = n
    else
        note "exit status $n is even; isa-debug-exit reports $((n + 1))"
        drain_console
        port_write 0xf4 $((n / 2))             # isa-debug-exit: n + 1
    fi
    sleep 1
    # Still running: no exit port, or port I/O refused. Never let a failure look like success
    # (a power-off): reset instead (Vireo: status 4; QEMU -no-reboot: 0, so keep this note).
    note "the VMM did not stop on an exit port (status $n); resetting"
    drain_console
    reboot -f
}

if [ -n "$cmd_b64" ]; then
    if ! cmd=$(printf '%s' "$cmd_b64" | base64 -d 2>/dev/null) || [ -z "$cmd" ]; then
        note "vireo.cmd is not valid base64"
        report_status 127
    fi
    # LF, not CRLF, for the command's output: the console carries it to the VMM's stdout verbatim.
    stty -F /dev/console -onlcr 2>/dev/null
    cd /root 2>/dev/null || cd /
    sh -c "$cmd" </dev/null >/dev/console 2>&1
    report_status $?
fi

echo "Vireo Linux guest ($kver). Exit the shell to power off." >/dev/console
setsid cttyhack sh -l
poweroff -f
