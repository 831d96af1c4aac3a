package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.virtio.agent.PolledDevice;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.SplitRingLayout;
import io.vireo.sys.Libc;

/**
 * One vring of a session (vhost-user.rst "Ring states"): what the front end set (size, base, addresses, kick / call /
 * err fds, enable) and, while it runs, the {@link SplitQueue} its agent serves. A ring runs once it has addresses and
 * a kick fd and is not disabled (as QEMU, libvhost-user and rust-vmm do, so a front end that never sends
 * SET_VRING_ENABLE works too); GET_VRING_BASE stops it after draining its requests in flight.
 *
 * <p>Session thread only; the queue itself is touched on its agent's thread through commands.
 */
final class Vring {
    private static final long DRAIN_TIMEOUT_NS = 10_000_000_000L;

    final int index;
    private final PolledDevice device;
    private final QueueAgent owner;
    private final VringSignals signals = new VringSignals();

    int num;
    int base;
    long descUa;
    long usedUa;
    long availUa;
    boolean addrSet;
    boolean enabled = true;
    int kickFd = -1;
    /** The fd of the SET_VRING_KICK/CALL/ERR being handled (still owned by the message), or -1 for NOFD. */
    int fileFd = -1;
    private SplitQueue split;

    Vring(int index, PolledDevice device, QueueAgent owner) {
        this.index = index;
        this.device = device;
        this.owner = owner;
        this.num = device.queueMaxSize(index);
    }

    boolean running() {
        return split != null;
    }

    /** Guest-physical ring addresses, or the reason there are none. */
    record RingGpas(long desc, long avail, long used, String error) {
    }

    /** Translates the three ring addresses through the front end's user addresses; each ring inside one region. */
    static RingGpas translate(VhostUserBackendMemory memory, int num, boolean eventIdx, long descUa, long availUa,
                              long usedUa) {
        long d = memory.userToGpa(descUa, SplitRingLayout.descTableSizeBytes(num));
        long a = memory.userToGpa(availUa, SplitRingLayout.availRingSizeBytes(num, eventIdx));
        long u = memory.userToGpa(usedUa, SplitRingLayout.usedRingSizeBytes(num, eventIdx));
        if (d < 0 || a < 0 || u < 0) {
            long bad = d < 0 ? descUa : a < 0 ? availUa : usedUa;
            return new RingGpas(0, 0, 0, "ring address 0x" + Long.toHexString(bad) + " ("
                + (d < 0 ? "descriptor table" : a < 0 ? "avail ring" : "used ring") + ", size " + num
                + ") outside every memory region (" + memory.regionCount() + " regions)");
        }
        return new RingGpas(d, a, u, null);
    }

    /** Starts the ring if it has all it needs; returns null, or why it could not start (then it stays stopped). */
    String start(VhostUserBackendMemory memory, long features) {
        if (running() || kickFd < 0 || !addrSet || !enabled) {
            return null;
        }
        boolean eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_EVENT_IDX);
        RingGpas g = translate(memory, num, eventIdx, descUa, availUa, usedUa);
        if (g.error() != null) {
            return g.error();
        }
        SplitQueue q = new SplitQueue(memory.guestMemory(), device.queueMaxSize(index));
        q.setSize(num);
        q.setDescTableGpa(g.desc());
        q.setAvailRingGpa(g.avail());
        q.setUsedRingGpa(g.used());
        q.setEventIdx(eventIdx);
        q.setIndirectDesc(VirtioFeatures.has(features, VirtioFeatures.RING_INDIRECT_DESC));
        QueueError code = q.enable();
        if (code != QueueError.OK) {
            signals.needsReset("vring " + index + ": " + code.describe());
            return code.describe() + " (value=0x" + Long.toHexString(q.brokenValue()) + ")";
        }
        q.resumeAt(base);
        owner.submitAndWait(() -> device.activateQueue(index, features, q, signals));
        owner.watchKick(kickFd);
        split = q;
        return null;
    }

    /**
     * Stops a running ring: on its agent, serves it until nothing is in flight (each completion published to the used
     * ring), then resets the queue and stops watching the kick fd. {@link #base} becomes the next avail index.
     */
    void stop() {
        if (!running()) {
            return;
        }
        PolledQueue pq = device.polledQueue(index);
        int kick = kickFd;
        owner.submitAndWait(() -> {
            long deadline = System.nanoTime() + DRAIN_TIMEOUT_NS;
            do {
                if (pq.poll() == 0) {
                    Thread.onSpinWait();
                }
            } while (pq.inFlight() > 0 && System.nanoTime() - deadline < 0);
            device.resetQueue(index);
            owner.unwatchKick(kick);
        });
        base = split.lastAvailIdx();
        split = null;
    }

    void releaseKick() {
        Libc.closeQuietly(kickFd);
        kickFd = -1;
    }

    /** Replaces the call fd (on the agent's thread, so no interrupt goes to a closed fd) and closes the old one. */
    void replaceCall(int fd) {
        int[] old = new int[1];
        owner.submitAndWait(() -> old[0] = signals.swapCall(fd));
        Libc.closeQuietly(old[0]);
    }

    void replaceErr(int fd) {
        int[] old = new int[1];
        owner.submitAndWait(() -> old[0] = signals.swapErr(fd));
        Libc.closeQuietly(old[0]);
    }

    /** After {@link #stop()}: closes every fd. */
    void release() {
        releaseKick();
        replaceCall(-1);
        replaceErr(-1);
    }
}
