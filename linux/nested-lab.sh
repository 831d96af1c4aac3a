#!/usr/bin/env bash
# The nested lab: runs COMMAND inside an L1 Linux under QEMU TCG with -cpu max (emulated AMD SVM,
# so L1 has a real /dev/kvm from kvm-amd), in a chroot of this machine's root filesystem shared
# read-only over 9p, in the current directory, with this environment. The command's stdout and
# stderr stream to ours; we exit with its exit status.
#
# usage: linux/nested-lab.sh [--cpus N] [--memory SIZE] [--timeout S] [--verbose] [--debug] -- COMMAND [ARG...]
#   --cpus N (default 2), --memory SIZE (QEMU -m, default 4G): the L1 machine
#   --timeout S   stop L1 after S seconds (exit 124)
#   --verbose     timings and the QEMU command line on stderr
#   --debug       also the L1 kernel log and a trace of its /init on stderr
#
# Inside L1: / is the host's / (read-only, page-cached: files changed on the host during a run may
# look stale); /tmp, /var/tmp, /run, /dev/shm are empty tmpfs; /tmp/vireo-lab is the host's
# /tmp/vireo-lab, read-write (put disk images and results there); a working directory under /tmp,
# /var/tmp or /run is shared read-only at its own path. stdin is /dev/null.
# Exit status: the command's; 124 if --timeout expired while L1 was still answering (the command hung);
# 125 if the lab itself failed, L1's kernel crashed (an oops or panic on its console: L1 is stopped at once), a
# command that timed out left a diagnosis showing an L1 CPU stuck (a soft lockup or RCU stall in L1's kernel log, or
# an L2 vCPU thread that ran a second without one VM exit), or
# L1 stopped answering: no heartbeat from L1's user space (written to /tmp/vireo-lab every 2 s while the command
# runs) in the last 30 s before the timeout (message on stderr).
set -euo pipefail
LOG_TAG=nested-lab DIE_STATUS=125
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

cpus=2 memory=4G timeout_s= verbose= debug=
usage() { sed -n '7p' "$0" | sed 's/^# //' >&2; exit 125; }
while [ $# -gt 0 ]; do
    case $1 in
        --cpus) cpus=${2:?}; shift 2 ;;
        --cpus=*) cpus=${1#*=}; shift ;;
        --memory) memory=${2:?}; shift 2 ;;
        --memory=*) memory=${1#*=}; shift ;;
        --timeout) timeout_s=${2:?}; shift 2 ;;
        --timeout=*) timeout_s=${1#*=}; shift ;;
        -v|--verbose) verbose=1; shift ;;
        --debug) verbose=1 debug=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        --) shift; break ;;
        *) echo "nested-lab: unknown option $1" >&2; usage ;;
    esac
done
[ $# -gt 0 ] || usage
[[ $cpus =~ ^[1-9][0-9]*$ ]] || { echo "nested-lab: --cpus wants a positive number" >&2; exit 125; }

lab_fail() { echo "nested-lab: $*" >&2; exit 125; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
[ "$(id -u)" = 0 ] || lab_fail "must run as root (QEMU shares / with security_model=none)"
ensure_tools qemu-system-x86_64:qemu-system-x86 || true
command -v qemu-system-x86_64 >/dev/null || lab_fail "qemu-system-x86_64 is missing"
mapfile -t lab < <("$LINUX_DIR/build-lab-image.sh")
[ ${#lab[@]} -eq 2 ] && [ -s "${lab[0]}" ] && [ -s "${lab[1]}" ] || lab_fail "building the L1 image failed"
t_image=$(now)

mkdir -p /tmp/vireo-lab && chmod 1777 /tmp/vireo-lab
ctl=$(mktemp -d /tmp/vireo-lab-ctl.XXXXXX)
# A working directory under a path that is a tmpfs in the lab (a clone in /tmp, as CI may make)
# is shared on its own, read-only, at the same path, so the command finds its files there.
work=()
case $PWD/ in
    /tmp/vireo-lab/*) ;;
    /tmp/*|/var/tmp/*|/run/*)
        printf '%s\n' "$PWD" > "$ctl/workdir"
        work=(-virtfs "local,path=$PWD,mount_tag=work,security_model=none,readonly=on,multidevs=remap") ;;
esac
heartbeat=/tmp/vireo-lab/.heartbeat-${ctl##*.}
# A diagnosis of a command about to time out (linux/lab-diag.sh): asked for by creating $diag.req, run by
# L1's heartbeat loop into $diag.out, shown with the timeout's message.
diag=/tmp/vireo-lab/.diag-${ctl##*.}
cp "$LINUX_DIR/lab-diag.sh" "$diag.sh"
qemu_pid= diag_pid= readers=()
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
    [ -n "$diag_pid" ] && kill "$diag_pid" 2>/dev/null || true
    rm -rf "$ctl" "$heartbeat" "$diag".*
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The command, as a bash script run in the chroot: the environment, the directory, then exec.
{
    for name in $(compgen -e); do
        case $name in
            PWD|OLDPWD|SHLVL|_|SHELLOPTS|BASHOPTS|BASH_*|LS_COLORS) continue ;;
        esac
        [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        printf 'export %s=%q\n' "$name" "${!name}"
    done
    # L1's heartbeat: after a --timeout it tells an L1 that stopped answering from a command that hung.
    printf '( while :; do date +%%s > %q; ' "$heartbeat"
    printf 'if [ -e %q ] && [ ! -e %q ]; then : > %q; bash %q > %q 2>&1 & fi; ' \
        "$diag.req" "$diag.taken" "$diag.taken" "$diag.sh" "$diag.out"
    printf 'sleep 2; done ) </dev/null >/dev/null 2>&1 &\n'
    printf 'cd -- %q 2>/dev/null || { echo "nested-lab: the working directory $PWD does not exist in the lab" >&2; exit 125; }\n' "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
} > "$ctl/cmd"

mkfifo "$ctl/out" "$ctl/err"
cat "$ctl/out" & readers+=($!)
# ttyS1 carries the command's stderr and L1's kernel console. An oops there (the die() header, e.g.
# "[   55.98] stack guard page: 0000 [#1] PREEMPT SMP", or a panic) means L1's kernel is broken, which no
# user-space program in it can cause: note it, give the trace 3 s to come out, and stop L1 rather than wait
# for the timeout (an oops on one CPU leaves the other answering, so the heartbeat cannot tell).
oops_watch() {
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "$line" >&2
        if [ ! -e "$ctl/oops" ] && [[ $line =~ ^\[\ *[0-9.]+\]\ (.*:\ [0-9a-f]{4}\ \[#[0-9]+\].*|Kernel\ panic.*) ]]; then
            printf '%s\n' "${BASH_REMATCH[1]}" > "$ctl/oops"
            ( sleep 3; [ -s "$ctl/qemu.pid" ] && kill "$(cat "$ctl/qemu.pid")" 2>/dev/null ) &
        fi
    done < "$ctl/err"
}
oops_watch & readers+=($!)

append="console=ttyS1 panic=-1 mitigations=off"
[ -n "$debug" ] && append+=" lab.verbose lab.trace" || append+=" quiet loglevel=1"
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -no-reboot
      -machine pc -accel tcg,thread=multi,tb-size=512 -cpu max -smp "$cpus" -m "$memory"
      -display none
      -kernel "${lab[0]}" -initrd "${lab[1]}" -append "$append"
      -chardev file,id=out,path="$ctl/out" -serial chardev:out
      -chardev file,id=err,path="$ctl/err" -serial chardev:err
      -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap
      -virtfs local,path="$ctl",mount_tag=ctl,security_model=none
      -virtfs local,path=/tmp/vireo-lab,mount_tag=lab,security_model=none,multidevs=remap
      "${work[@]}"
      -device isa-debug-exit,iobase=0xf4,iosize=4)
# Extra QEMU arguments for experiments (word-split): VIREO_LAB_QEMU_ARGS='-d guest_errors'
[ -n "${VIREO_LAB_QEMU_ARGS:-}" ] && qemu+=(${VIREO_LAB_QEMU_ARGS})
[ -n "$verbose" ] && echo "nested-lab: ${qemu[*]}" >&2

t_qemu=$(now)
if [ -n "$timeout_s" ]; then
    timeout "$timeout_s" "${qemu[@]}" </dev/null & qemu_pid=$!
else
    "${qemu[@]}" </dev/null & qemu_pid=$!
fi
echo "$qemu_pid" > "$ctl/qemu.pid"
if [ -n "$timeout_s" ] && [ "$timeout_s" -ge 100 ]; then
    # The timer's sleep dies with it (cleanup kills the subshell): a sleep left behind would hold what this script
    # inherited, such as scripts/compare-lab's flock on /tmp/vireo-lab.lock, for the rest of the timeout.
    ( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep $((timeout_s - 45)) & s=$!; wait $s && : > "$diag.req" ) \
        </dev/null >/dev/null 2>&1 & diag_pid=$!
fi
t_started=
if [ -n "$verbose" ]; then
    # L1 creates ctl/started just before it runs the command: note when it shows up here.
    while kill -0 "$qemu_pid" 2>/dev/null; do
        if [ -e "$ctl/started" ]; then t_started=$(now); break; fi
        sleep 0.05
    done
fi
set +e
wait "$qemu_pid"
qemu_rc=$?
set -e
qemu_pid=
t_end=$(now)
# Unblock a reader whose fifo QEMU never opened, then let both drain.
for f in "$ctl/out" "$ctl/err"; do exec 3<>"$f"; exec 3>&-; done
wait "${readers[@]}" 2>/dev/null || true

if [ -n "$verbose" ] && [ -n "$t_started" ] && [ -s "$ctl/timing" ]; then
    field() { sed -n "s/.*\\<$1=\\([0-9.]*\\).*/\\1/p" "$ctl/timing"; }
    t_l1_init=$(field init) t_l1_start=$(field start) t_l1_end=$(field end)
    cmd_s=$(secs "$t_l1_start" "$t_l1_end")
    echo "nested-lab: timings: image check $(secs "$t0" "$t_image") s;" \
         "L1 boot to command start $(secs "$t_qemu" "$t_started") s (firmware + kernel to /init," \
         "then $(secs "$t_l1_init" "$t_l1_start") s of modules and mounts);" \
         "command $cmd_s s; L1 shutdown $(secs "$t_started" "$t_end" | awk -v c="$cmd_s" '{ printf "%.1f", $1 - c }') s;" \
         "total $(secs "$t0" "$t_end") s" >&2
fi

if [ -s "$ctl/oops" ]; then
    lab_fail "L1's kernel crashed: $(cat "$ctl/oops")"
fi
if [ -s "$ctl/status" ]; then
    exit "$(cat "$ctl/status")"
fi
if [ -n "$timeout_s" ] && [ "$qemu_rc" -eq 124 ]; then
    if [ ! -e "$heartbeat" ]; then
        lab_fail "L1 stopped answering: it never started the command within the $timeout_s s timeout"
    fi
    age=$(( $(date +%s) - $(stat -c %Y "$heartbeat") ))
    if [ "$age" -gt 30 ]; then
        lab_fail "L1 stopped answering: its last heartbeat came $age s before the $timeout_s s timeout"
    fi
    echo "nested-lab: timed out after $timeout_s s (L1 still answering: last heartbeat $age s before)" >&2
    if [ -s "$diag.out" ]; then
        echo "nested-lab: what L1 was doing 45 s before the timeout (linux/lab-diag.sh):" >&2
        cat "$diag.out" >&2
        # L1's own kernel saw one of its CPUs stuck (its console is at loglevel 1, so only the diagnosis's dmesg
        # shows it), or an L1 CPU stopped leaving the L2 guest: the lab failed, not the command.
        stuck=$(grep -m1 -E "watchdog: BUG: soft lockup|rcu: INFO: rcu_(preempt|sched) (self-)?detected stall|^diag: stuck in the L2 guest" "$diag.out" || true)
        if [ -n "$stuck" ]; then
            lab_fail "L1's CPU got stuck: ${stuck#diag: }"
        fi
    fi
    exit 124
fi
case $qemu_rc in
    0) lab_fail "L1 stopped without reporting a status (run with --debug to see its console)" ;;
    *) if [ $((qemu_rc % 2)) -eq 1 ] && [ "$qemu_rc" -lt 128 ]; then
           echo "nested-lab: no status file; using isa-debug-exit's $qemu_rc" >&2
           exit "$qemu_rc"
       fi
       lab_fail "QEMU failed (exit status $qemu_rc)" ;;
esac
