#!/bin/sh
# /init of the nested lab's L1 Linux (linux/build-lab-image.sh puts this file in the initramfs;
# linux/nested-lab.sh boots it under QEMU TCG with -cpu max, which emulates AMD SVM).
#
# 9p shares set up by nested-lab.sh:
#   host  the host's / (read-only)              -> /host, the root of the chroot the command runs in
#   ctl   a per-run host directory (read-write) -> /ctl: cmd (bash script), status, timing
#   lab   the host's /tmp/vireo-lab (read-write) -> /host/tmp/vireo-lab
#   work  (only when /ctl/workdir names it) a working directory under /tmp, read-only -> /host<dir>
# Serial ports: ttyS0 = the command's stdout (host stdout), ttyS1 = kernel console and the
# command's stderr (host stderr).
# Exit: the command's status goes to /ctl/status (exact) and to the exit port (0: power off,
# odd N: (N-1)/2 to isa-debug-exit at 0xf4, even N: N/2, which QEMU turns into N+1).

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
t_init=$(cut -d' ' -f1 /proc/uptime)

verbose=
for word in $(cat /proc/cmdline); do
    case $word in lab.verbose) verbose=1 ;; lab.trace) set -x ;; esac
done
say() { echo "lab-init: $*" >/dev/ttyS1; }

outb() { printf "\\$(printf %o "$2")" | dd of=/dev/port bs=1 seek="$1" count=1 conv=notrunc 2>/dev/null; }
drain() { stty -F /dev/ttyS0 -onlcr 2>/dev/null; stty -F /dev/ttyS1 -onlcr 2>/dev/null; }
finish() {
    n=$1
    if grep -q ' /ctl ' /proc/mounts; then
        echo "$n" > /ctl/status.tmp && mv /ctl/status.tmp /ctl/status
        sync
    fi
    drain
    echo 0 > /proc/sys/kernel/printk
    if [ "$n" -eq 0 ]; then
        poweroff -f
    elif [ $((n % 2)) -eq 1 ]; then
        outb 244 $(((n - 1) / 2))
    else
        outb 244 $((n / 2))
    fi
    sleep 1
    poweroff -f
}
fail() { say "$*"; finish 125; }

kver=$(uname -r)
while read -r ko; do
    [ -n "$ko" ] && { insmod "/lib/modules/$kver/$ko" || say "insmod $ko failed"; }
done < "/lib/modules/$kver/load-order"

p9='trans=virtio,version=9p2000.L,msize=512000'
mount -t 9p -o "$p9,cache=mmap" ctl /ctl || fail "cannot mount the ctl share"
mount -t 9p -o "$p9,ro,cache=loose" host /host || fail "cannot mount the host's root (9p tag host)"
mkdir -p /dev/pts /dev/shm
mount --bind /proc /host/proc && mount --bind /sys /host/sys && mount --bind /dev /host/dev \
    || fail "cannot bind proc/sys/dev into /host"
mount -t devpts -o newinstance,ptmxmode=0666 devpts /host/dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm 2>/dev/null
for d in /tmp /var/tmp /run; do
    mount -t tmpfs -o mode=1777 tmpfs "/host$d" || fail "cannot mount a tmpfs on $d"
done
mkdir -p /host/tmp/vireo-lab
mount -t 9p -o "$p9,cache=mmap" lab /host/tmp/vireo-lab || fail "cannot mount the lab share on /tmp/vireo-lab"
if [ -r /ctl/workdir ]; then
    # nested-lab.sh shares a working directory that the tmpfs above would hide (a clone under /tmp).
    wd=$(cat /ctl/workdir)
    mkdir -p "/host$wd" && mount -t 9p -o "$p9,ro,cache=loose" work "/host$wd" \
        || fail "cannot mount the working directory $wd (9p tag work)"
fi
[ -e /dev/kvm ] || say "warning: no /dev/kvm (kvm-amd did not load; is the CPU model -cpu max?)"

[ -r /ctl/cmd ] || fail "no command in /ctl/cmd"
script=$(cat /ctl/cmd)
stty -F /dev/ttyS0 -onlcr 2>/dev/null
stty -F /dev/ttyS1 -onlcr 2>/dev/null
# An L2 vCPU's shutdown (a triple fault) as L1's KVM saw it: on AMD SVM KVM resets the vCPU before it reports
# KVM_EXIT_SHUTDOWN, so the registers Vireo can read then are the reset state; the kvm_exit trace event keeps the
# guest's RIP and the exit's info at the intercept. Only that exit reason (SVM_EXIT_SHUTDOWN, 0x7f) is recorded,
# for the whole command; any record is printed after it as "nested-lab: L2 shutdown exit: ...".
tr=/sys/kernel/tracing
[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
shutdown_trace=
if [ -w "$tr/events/kvm/kvm_exit/filter" ] && echo 'exit_reason == 127' > "$tr/events/kvm/kvm_exit/filter" 2>/dev/null
then
    : > "$tr/trace"; echo 1 > "$tr/events/kvm/kvm_exit/enable"; echo 1 > "$tr/tracing_on"; shutdown_trace=1
fi
t_start=$(cut -d' ' -f1 /proc/uptime)
: > /ctl/started
chroot /host /bin/bash -c "$script" </dev/null >/dev/ttyS0 2>/dev/ttyS1
status=$?
if [ -n "$shutdown_trace" ]; then
    grep -v '^#' "$tr/trace" 2>/dev/null | grep 'kvm_exit' | head -n 4 | sed 's/^ *//; s/^/nested-lab: L2 shutdown exit: /' \
        >/dev/ttyS1 || true
fi
t_end=$(cut -d' ' -f1 /proc/uptime)
echo "init=$t_init start=$t_start end=$t_end" > /ctl/timing
[ -n "$verbose" ] && say "status $status; L1 uptime at /init $t_init s, command start $t_start s, end $t_end s"
finish "$status"
