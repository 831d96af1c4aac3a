package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.SplitRingLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Warms the JIT on the virtio-blk data plane before a guest needs it: a private {@link QueueAgent} serves two private
 * virtio-blk queues (one with VIRTIO_RING_F_EVENT_IDX, one without: the test guest's and Linux's ways) over private
 * memory, and this class plays their driver, QD 1 mostly and a batch of 8 every fourth round, reads and writes. Each
 * request takes the very path a guest's does: the agent's duty cycle, pop and validation of the chain, request
 * parsing, iovecs, submission to a back end of the guest disk's kind, status, used ring, publication. No guest
 * queue, no guest memory and no interrupt line is touched; the back end is the caller's (a twin of the real one over
 * private storage), closed by the caller.
 *
 * <p>Run it on its own short-lived thread while the guest boots: it returns after {@code maxRequests} requests, or
 * at {@code deadlineNanos}, or once {@link #stop()} is called, or once the guest has started its own I/O,
 * whichever comes first.
 */
public final class BlkWarmup {
    private static final int QUEUE_SIZE = 64;
    private static final int SLOTS = 8;
    private static final long RING_GPA = 0x1000;
    private static final long RING_STRIDE = 0x1000;
    private static final long SLOT_GPA = 0x10000;
    private static final long SLOT_STRIDE = 0x2000;
    private static final long STATUS_OFFSET = 0x800;
    private static final long DATA_OFFSET = 0x1000;
    private static final int DATA_BYTES = 4096;
    private static final long MEMORY_BYTES = SLOT_GPA + 2 * SLOTS * SLOT_STRIDE;
    private static final int SPIN_LIMIT = 1 << 20;
    private static final int BUSY_CHECK_ROUNDS = 16;
    /** Rounds between two samples of the warm-up queues' service times (as the VMM's sampler takes them). */
    private static final int SAMPLE_ROUNDS = 512;
    /** Room for two one-queue devices' counters and the agent's. */
    private static final int WARMUP_COUNTERS = 256;
    private static final ValueLayout.OfShort LE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private volatile boolean stopRequested;

    /** Ends a running {@link #run} at its next request (any thread). */
    public void stop() {
        stopRequested = true;
    }

    /**
     * Drives requests through {@code backend} (at least 1 MiB; the first 64 KiB are read and written) until one of
     * the limits; returns the requests completed.
     *
     * @throws IllegalStateException when a request does not complete with S_OK (a warm-up that fails says so)
     */
    public long run(BlockBackend backend, long maxRequests, long deadlineNanos) {
        return run(backend, maxRequests, deadlineNanos, () -> false);
    }

    /**
     * As {@link #run(BlockBackend, long, long)}, and also ends once {@code guestBusy} says the guest has started
     * (asked every {@value #BUSY_CHECK_ROUNDS} rounds): from then on the warm-up would only take CPU from it.
     */
    public long run(BlockBackend backend, long maxRequests, long deadlineNanos, BooleanSupplier guestBusy) {
        // Counters in a counters file (in memory), as a VMM's devices and agents keep theirs: the counter calls the
        // JIT compiles then see the class they will see in the guest's path, and need no recompiling for it.
        try (Arena arena = Arena.ofConfined(); CountersFile counters = CountersFile.inMemory(WARMUP_COUNTERS)) {
            GuestMemory memory = new GuestMemory(List.of(new GuestRegion(0, arena.allocate(MEMORY_BYTES, 4096), 0)));
            VirtioBlkDevice plain = new VirtioBlkDevice(backend, "warmup", 1, counters, "warmup0");
            VirtioBlkDevice indexed = new VirtioBlkDevice(backend, "warmup", 1, counters, "warmup1");
            QueueAgent agent = new QueueAgent("warmup", Long.MAX_VALUE, -1, counters);
            try {
                Driver[] drivers = {new Driver(memory, 0, plain, false), new Driver(memory, 1, indexed, true)};
                agent.add(plain.polledQueue(0));
                agent.add(indexed.polledQueue(0));
                agent.onStart();
                long done = 0;
                for (long round = 0; done < maxRequests && !stopRequested && System.nanoTime() < deadlineNanos;
                     round++) {
                    if (round % BUSY_CHECK_ROUNDS == 0 && guestBusy.getAsBoolean()) {
                        break;
                    }
                    if (round % SAMPLE_ROUNDS == SAMPLE_ROUNDS - 1) {
                        // As the VMM's sampler does once a period: it flips the service-time recorders' phase, and
                        // the recording calls the JIT compiles must have seen both phases, or their first flip in
                        // the guest's run is an uncommon trap (unstable_if in WriterReaderPhaser) that sends the
                        // agent's completion path back to the interpreter mid-run (seen with LogCompilation).
                        plain.serviceTimes(0).sample();
                        indexed.serviceTimes(0).sample();
                    }
                    Driver d = drivers[(int) (round & 1)];
                    int batch = (round & 3) == 3 ? SLOTS : 1;
                    done += d.round(agent, batch, round);
                }
                return done;
            } finally {
                plain.reset();
                indexed.reset();
                agent.onClose();
                plain.close();
                indexed.close();
            }
        }
    }

    /** The driver side of one private queue: fixed chains (header, 4 KiB data, status) in slots, as a guest reuses. */
    private static final class Driver {
        private final MemorySegment ring;
        private final MemorySegment[] headers = new MemorySegment[SLOTS];
        private final MemorySegment[] statuses = new MemorySegment[SLOTS];
        private final int[] heads = new int[SLOTS];
        private final long availOffset;
        private final long usedOffset;
        private final boolean eventIdx;
        private int availIdx;
        private int usedIdx;

        Driver(GuestMemory memory, int index, VirtioBlkDevice device, boolean eventIdx) {
            this.eventIdx = eventIdx;
            long base = RING_GPA + index * 2 * RING_STRIDE;
            long descBytes = SplitRingLayout.descTableSizeBytes(QUEUE_SIZE);
            availOffset = descBytes;
            usedOffset = (descBytes + SplitRingLayout.availRingSizeBytes(QUEUE_SIZE, true) + 63) & -64L;
            ring = memory.slice(base, usedOffset + SplitRingLayout.usedRingSizeBytes(QUEUE_SIZE, true));
            SplitQueue split = new SplitQueue(memory, QUEUE_SIZE);
            split.setSize(QUEUE_SIZE);
            split.setDescTableGpa(base);
            split.setAvailRingGpa(base + availOffset);
            split.setUsedRingGpa(base + usedOffset);
            split.setEventIdx(eventIdx);
            QueueError enabled = split.enable();
            if (enabled != QueueError.OK) {
                throw new IllegalStateException("warm-up queue did not enable: " + enabled);
            }
            long features = device.deviceFeatures() & ~(eventIdx ? 0 : VirtioFeatures.RING_EVENT_IDX);
            device.activate(features, new SplitQueue[] {split}, NO_INTERRUPT);
            // The guest polls its used ring and wants no interrupt (the test guest's way; Linux's polled queues).
            ring.set(LE_SHORT, availOffset + SplitRingLayout.AVAIL_FLAGS_OFFSET,
                (short) SplitRingLayout.VIRTQ_AVAIL_F_NO_INTERRUPT);
            for (int i = 0; i < SLOTS; i++) {
                long slot = SLOT_GPA + (long) (index * SLOTS + i) * SLOT_STRIDE;
                headers[i] = memory.slice(slot, 16);
                statuses[i] = memory.slice(slot + STATUS_OFFSET, 1);
                int d = 3 * i;
                desc(d, slot, 16, SplitRingLayout.VIRTQ_DESC_F_NEXT, d + 1);
                desc(d + 1, slot + DATA_OFFSET, DATA_BYTES, SplitRingLayout.VIRTQ_DESC_F_NEXT, d + 2);
                desc(d + 2, slot + STATUS_OFFSET, 1, SplitRingLayout.VIRTQ_DESC_F_WRITE, 0);
                heads[i] = d;
            }
        }

        private void desc(int i, long gpa, int len, int flags, int next) {
            long o = (long) i * SplitRingLayout.DESC_SIZE;
            ring.set(LE_LONG, o + SplitRingLayout.DESC_ADDR_OFFSET, gpa);
            ring.set(LE_INT, o + SplitRingLayout.DESC_LEN_OFFSET, len);
            ring.set(LE_SHORT, o + SplitRingLayout.DESC_FLAGS_OFFSET, (short) flags);
            ring.set(LE_SHORT, o + SplitRingLayout.DESC_NEXT_OFFSET, (short) next);
        }

        /** Publishes {@code batch} requests (3 reads to 1 write), runs the agent until all are used; returns batch. */
        int round(QueueAgent agent, int batch, long seq) {
            for (int i = 0; i < batch; i++) {
                boolean write = ((seq + i) & 3) == 3;
                // The data descriptor's direction follows the request type (device-writable for reads).
                long flagsOffset = (long) (heads[i] + 1) * SplitRingLayout.DESC_SIZE
                    + SplitRingLayout.DESC_FLAGS_OFFSET;
                ring.set(LE_SHORT, flagsOffset, (short) (SplitRingLayout.VIRTQ_DESC_F_NEXT
                    | (write ? 0 : SplitRingLayout.VIRTQ_DESC_F_WRITE)));
                headers[i].set(LE_INT, 0, write ? BlkRequest.T_OUT : BlkRequest.T_IN);
                headers[i].set(LE_LONG, 8, ((seq * 7 + i) & 127) * 8);
                statuses[i].set(ValueLayout.JAVA_BYTE, 0, (byte) -1);
                ring.set(LE_SHORT, availOffset + SplitRingLayout.AVAIL_RING_OFFSET
                    + (long) ((availIdx + i) & (QUEUE_SIZE - 1)) * SplitRingLayout.AVAIL_ELEM_SIZE, (short) heads[i]);
            }
            availIdx = (availIdx + batch) & 0xffff;
            if (eventIdx) {
                // used_event far ahead: no interrupt wanted (the test guest keeps it 0x8000 ahead).
                ring.set(LE_SHORT, availOffset + SplitRingLayout.AVAIL_RING_OFFSET
                    + (long) QUEUE_SIZE * SplitRingLayout.AVAIL_ELEM_SIZE, (short) (usedIdx + 0x8000));
            }
            // ORDERING: descriptors and ring entries before the index that publishes them (the guest's wmb).
            VarHandle.releaseFence();
            ring.set(LE_SHORT, availOffset + SplitRingLayout.AVAIL_IDX_OFFSET, (short) availIdx);
            int want = (usedIdx + batch) & 0xffff;
            for (int spins = 0; ; spins++) {
                agent.doWork();
                VarHandle.acquireFence();
                if ((ring.get(LE_SHORT, usedOffset + SplitRingLayout.USED_IDX_OFFSET) & 0xffff) == want) {
                    break;
                }
                if (spins > SPIN_LIMIT) {
                    throw new IllegalStateException("warm-up: the private queue did not complete " + batch
                        + " request(s) in " + SPIN_LIMIT + " duty cycles");
                }
            }
            usedIdx = want;
            for (int i = 0; i < batch; i++) {
                int status = statuses[i].get(ValueLayout.JAVA_BYTE, 0);
                if (status != BlkRequest.S_OK) {
                    throw new IllegalStateException("warm-up: request status " + status + " from the back end");
                }
            }
            return batch;
        }
    }

    private static final VirtioInterrupt NO_INTERRUPT = new VirtioInterrupt() {
        @Override
        public void signalUsed(int queue) {
        }

        @Override
        public void signalConfigChange() {
        }

        @Override
        public void needsReset(String why) {
            throw new IllegalStateException("warm-up queue broke: " + why);
        }
    };
}
