#!/usr/bin/env bash
# What the nested lab's L1 is doing, for a command that is about to time out: run by L1's heartbeat
# loop (linux/nested-lab.sh asks for it some 40 s before the --timeout), in the command's chroot, as root.
# It prints, for a hang report: L1's threads and where they sleep; for each JVM (a Vireo), the kernel
# stack of each thread and a Java thread dump; a second of KVM's trace events (which L2 vCPU exits
# where, which interrupts it gets); the tail of L1's kernel log. Each part has a time bound.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "== lab diagnosis at L1 uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "== load: $(cat /proc/loadavg)"
echo "== threads (user space)"
ps -eLo pid,tid,stat,pcpu,time,wchan:26,comm | awk 'NR == 1 || $7 !~ /^(kworker|ksoftirqd|migration|cpuhp|rcu_|idle_inject|kthreadd|pool_workqueue)/' |
    grep -v ' \[' | head -n 120
for pid in $(pgrep -f 'io\.vireo' || true); do
    echo "== process $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)"
    for t in /proc/"$pid"/task/*; do
        name=$(cat "$t/comm" 2>/dev/null) state=$(awk '{ print $3 }' "$t/stat" 2>/dev/null)
        case $name in C1*|C2*|GC*|G1*|VM*|Common-Cleaner|Finalizer|Reference*|Signal*|Service*|Monitor*|Notification*) continue ;; esac
        echo "-- ${t##*/} $name $state"
        head -n 12 "$t/stack" 2>/dev/null
    done
    echo "== java threads of $pid"
    timeout 40 jcmd "$pid" Thread.print 2>&1 | grep -v '^$' | head -n 160
done
echo "== kvm trace, 1 s"
tr=/sys/kernel/tracing
[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
if [ -d "$tr/events/kvm" ]; then
    echo 0 > "$tr/tracing_on"; : > "$tr/trace"; echo 4096 > "$tr/buffer_size_kb" 2>/dev/null
    # lab-init.sh keeps kvm_exit filtered to shutdowns during the command: every exit here.
    echo 0 > "$tr/events/kvm/kvm_exit/filter" 2>/dev/null
    for e in kvm_exit kvm_inj_virq kvm_apic_ipi kvm_apic_accept_irq kvm_msi_set_irq kvm_set_irq kvm_vcpu_wakeup \
             kvm_userspace_exit kvm_pio kvm_mmio kvm_fast_mmio; do
        [ -e "$tr/events/kvm/$e/enable" ] && echo 1 > "$tr/events/kvm/$e/enable"
    done
    # CPU time (utime+stime, clock ticks) of every vCPU thread around the traced second.
    vcpus=()
    for pid in $(pgrep -f 'io\.vireo' || true); do
        for t in /proc/"$pid"/task/*; do
            case $(cat "$t/comm" 2>/dev/null) in vcpu*) vcpus+=("$t") ;; esac
        done
    done
    declare -A cpu0
    for t in "${vcpus[@]}"; do cpu0[$t]=$(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null); done
    echo 1 > "$tr/tracing_on"; sleep 1; echo 0 > "$tr/tracing_on"
    hz=$(getconf CLK_TCK)
    for t in "${vcpus[@]}"; do
        tid=${t##*/} name=$(cat "$t/comm" 2>/dev/null)
        now=$(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null)
        used=$(( (${now:-0} - ${cpu0[$t]:-0}) * 1000 / hz ))
        exits=$(grep -c -- "-$tid *\[.*kvm_exit:" "$tr/trace")
        echo "-- $name (tid $tid): $used ms of CPU, $exits VM exits in the traced second"
        # A vCPU that runs the guest exits at least at every host timer tick; a second of CPU in KVM_RUN without
        # one exit is a CPU that stopped leaving the L2 guest (nested SVM under TCG), not anything user space did.
        if [ "$used" -ge 500 ] && [ "$exits" -eq 0 ]; then
            echo "diag: stuck in the L2 guest: $name (tid $tid) ran $used ms with no VM exit"
        fi
        # Or one that exits only to fault on the same guest-physical address at the same instruction, a thousand
        # times a second: an L2 page-table walk that reached an address with no memory behind it (seen in a CI hang:
        # GPA 0x102670fe0 in a 512 MiB guest, 0x2670fe0 with bit 32 set), which KVM retries forever.
        if [ "$exits" -ge 1000 ]; then
            top=$(grep -- "-$tid *\[.*kvm_exit:" "$tr/trace" | awk '{ r = p = g = ""
                for (i = 1; i <= NF; i++) { if ($i == "reason") r = $(i+1); if ($i == "rip") p = $(i+1); if ($i == "info2") g = $(i+1) }
                print r, p, g }' | sort | uniq -c | sort -rn | head -n 1)
            read -r n reason rip gpa <<<"$top"
            if [ "${n:-0}" -eq "$exits" ] && [ "$reason" = npf ]; then
                echo "diag: stuck in the L2 guest: $name (tid $tid) took $n nested page faults in the traced second," \
                     "all at rip $rip on guest-physical $gpa"
            fi
        fi
    done
    echo "-- events by vCPU thread, event and exit reason/rip (count)"
    grep -v '^#' "$tr/trace" | awk '{
        ev = ""; for (i = 1; i <= NF; i++) if ($i ~ /^kvm_[a-z_]+:$/) { ev = $i; break }
        key = $1 " " ev
        if (ev == "kvm_exit:") { for (j = i; j <= NF; j++) { if ($j == "reason") key = key " " $(j+1); if ($j == "rip") key = key " rip " $(j+1) } }
        n[key]++ } END { for (k in n) printf "%7d %s\n", n[k], k }' | sort -rn | head -n 40
    echo "-- last events"
    grep -v '^#' "$tr/trace" | tail -n 40
    echo 0 > "$tr/events/kvm/enable" 2>/dev/null
else
    echo "(no tracefs kvm events)"
fi
echo "== L1 kernel log, tail"
dmesg 2>/dev/null | tail -n 25
