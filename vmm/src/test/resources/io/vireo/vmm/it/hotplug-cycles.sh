#!/usr/bin/env bash
# Runs inside the nested lab's L1 (NestedLabHotplugTest): Linux boots on Vireo with --api-socket and no disk;
# then, CYCLES times, vm.add-disk of IMAGE (Linux's acpiphp finds it, virtio_blk binds, the guest prints
# the new disk's sha256) and vm.remove-device (the guest ejects it), checking on this side that the
# VMM holds the image open exactly while the disk is attached. The guest's kernel log since the first add
# comes last (KLOG lines), and the lines of it that say warning, bug, call trace, error or fail (DMESG).
# usage: hotplug-cycles.sh IMAGE CYCLES [VIREO-RUN-ARGS...]   (e.g. cold disks, --pci-segments 2)
set -uo pipefail
image=$1 cycles=$2
shift 2
work=$(mktemp -d /tmp/hotplug.XXXXXX)
sock=$work/api.sock
out=$work/guest.out
api() { curl -sS --max-time 60 --unix-socket "$sock" -X PUT -H 'Content-Type: application/json' \
    ${2:+-d "$2"} "http://localhost/api/v1/$1" | tr -d ' \n'; echo; }
wait_for() {    # wait_for PATTERN SECONDS: until the guest printed PATTERN, or the VMM is gone
    local i
    for ((i = 0; i < $2 * 5; i++)); do
        grep -q -- "$1" "$out" && return 0
        if ! kill -0 "$vmm" 2>/dev/null; then
            # It died (a CI run: a JVM crash in L1 under TCG): say so now, rather than wait out the lab's timeout;
            # its output, printed at the end, has the crash report's banner for LabRetry.
            echo "hotplug: the VMM exited while waiting for '$1'"; gone=1; return 1
        fi
        sleep 0.2
    done
    echo "hotplug: timed out waiting for '$1'; guest output so far:"; cat "$out"; return 1
}
open_fds() { ls -l "/proc/$vmm/fd" 2>/dev/null | grep -c -- "$image"; }

# The guest: for each cycle, wait for a disk that was not there at boot, print its sha256 and PCI address,
# wait until it is gone.
guest='booted=$(dmesg | wc -l)
cold=" $(ls /sys/block | tr "\n" " ")"
echo GUEST-UP
for i in $(seq '$cycles'); do
  new=
  while [ -z "$new" ]; do
    for d in $(ls /sys/block); do case "$cold" in *" $d "*) ;; *) new=$d ;; esac; done
    [ -n "$new" ] || sleep 0.1
  done
  while [ ! -b /dev/$new ]; do sleep 0.1; done
  echo "ADDED $i $(sha256sum /dev/$new | cut -d" " -f1) $(basename $(readlink -f /sys/block/$new/device/..))"
  while [ -e /sys/block/$new ]; do sleep 0.1; done
  echo "GONE $i"
done
dmesg | tail -n +$((booted + 1)) | sed "s/^/KLOG /"
dmesg | tail -n +$((booted + 1)) | grep -iE "warning|bug|call trace|error|fail" | sed "s/^/DMESG /"
echo GUEST-DONE'
./vireo run --guest linux --memory 512M --api-socket "$sock" "$@" -- sh -c "$guest" > "$out" 2>&1 &
vmm=$!     # the JVM itself: ./vireo execs it
for ((i = 0; i < 600; i++)); do [ -S "$sock" ] && break; kill -0 "$vmm" 2>/dev/null || break; sleep 0.2; done
[ -S "$sock" ] || { echo "hotplug: no API socket"; cat "$out"; exit 1; }
gone=
wait_for GUEST-UP 240 || { kill "$vmm" 2>/dev/null; wait "$vmm"; echo "VMM-EXIT $?"; [ -n "$gone" ] && cat "$out"; exit 1; }
status=0
for ((c = 1; c <= cycles; c++)); do
    echo "ADD $c $(api vm.add-disk "{\"path\": \"$image\", \"id\": \"hot\", \"readonly\": true}")"
    wait_for "ADDED $c " 120 || { status=1; break; }
    echo "FDS-ATTACHED $c $(open_fds)"
    echo "REMOVE $c $(api vm.remove-device '{"id": "hot", "timeout_ms": 20000}')"
    echo "FDS-REMOVED $c $(open_fds)"
    wait_for "GONE $c" 60 || { status=1; break; }
done
[ $status -eq 0 ] && { wait_for GUEST-DONE 60 || status=1; }
[ $status -eq 0 ] || kill "$vmm" 2>/dev/null
wait "$vmm"; rc=$?
echo "VMM-EXIT $rc"
grep -E "^(ADDED|GONE|DMESG|KLOG)" "$out"
[ $status -eq 0 ] || cat "$out"
rm -rf "$work"
exit $status
