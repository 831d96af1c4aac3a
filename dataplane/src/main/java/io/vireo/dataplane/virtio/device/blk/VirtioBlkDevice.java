package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.DescriptorChain;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * virtio-blk (virtio 1.2 §5.2), one request queue, synchronous I/O through a {@link BlockBackend}.
 *
 * <p>Two error tiers (as Cloud Hypervisor): a bad request is completed with IOERR or UNSUPP (or, without a status
 * byte, with used length 0) and the queue goes on; a corrupt queue makes the device ask for DEVICE_NEEDS_RESET once
 * and stop serving that queue until {@link #reset()}. Each kind of fault is logged the first time it is seen, and
 * counted always.
 *
 * <p>Threading: {@link #processQueue} runs on one worker thread; {@link #activate} and {@link #reset} come from the
 * transport and must not run concurrently with it (the transport hands them over between batches). The activated
 * state is published through the volatile {@code queues}. Counters are plain longs written by the worker: readable
 * from elsewhere as monitoring values, not as exact snapshots.
 */
public final class VirtioBlkDevice implements VirtioDevice {
    /** Device id of a block device (§5.2.1). */
    public static final int DEVICE_TYPE = 2;
    public static final int QUEUE_COUNT = 1;
    public static final int QUEUE_MAX_SIZE = 256;
    /** seg_max: header and status take two descriptors of a chain (as QEMU: queue size - 2). */
    public static final int SEG_MAX = QUEUE_MAX_SIZE - 2;
    /** size_max: the largest single data segment a driver may use. Not enforced: a bigger one is merely slower. */
    public static final int SIZE_MAX_BYTES = 1 << 20;

    private static final Logger LOG = System.getLogger(VirtioBlkDevice.class.getName());
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final BlockBackend backend;
    private final long capacitySectors;
    private final boolean readOnly;
    private final long deviceFeatures;
    private final byte[] config = new byte[BlkConfigLayout.SIZE];
    private final MemorySegment serial = MemorySegment.ofArray(new byte[BlkRequest.ID_BYTES]);
    private final DescriptorChain chain = new DescriptorChain(QUEUE_MAX_SIZE);
    private final BlkRequest request = new BlkRequest();

    // Activated state: written by activate()/reset() before/after the volatile queues, read by the worker after it.
    private volatile SplitQueue[] queues;
    private VirtioInterrupt interrupt;
    private boolean flushNegotiated;
    private boolean queueBroken;

    // Log each kind of fault once: a hostile guest must not flood the host log.
    private final boolean[] loggedBlkError = new boolean[BlkRequestError.COUNT];
    private final boolean[] loggedQueueError = new boolean[64];

    // Counters (worker thread).
    private long requests;
    private long reads;
    private long writes;
    private long flushes;
    private long getIds;
    private long bytesRead;
    private long bytesWritten;
    private long ioErrors;
    private long unsupported;
    private long malformedChains;
    private long queueResets;
    private long interruptsSignalled;
    private final long[] errorsByKind = new long[BlkRequestError.COUNT];

    /**
     * @param backend the disk, not owned (close it after the device is reset); read-only backends make the device
     *                offer VIRTIO_BLK_F_RO
     * @param serial  the GET_ID string, ASCII, at most 20 bytes; null or empty for none (all NULs)
     */
    public VirtioBlkDevice(BlockBackend backend, String serial) {
        this.backend = backend;
        this.capacitySectors = backend.sizeBytes() >>> BlkRequest.SECTOR_SHIFT;
        this.readOnly = backend.readOnly();
        byte[] id = serial == null ? new byte[0] : serial.getBytes(StandardCharsets.US_ASCII);
        if (id.length > BlkRequest.ID_BYTES) {
            throw new IllegalArgumentException("serial longer than 20 bytes: length=" + id.length + ", serial="
                + serial);
        }
        MemorySegment.copy(id, 0, this.serial, ValueLayout.JAVA_BYTE, 0, id.length);
        this.deviceFeatures = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC
            | VirtioFeatures.RING_EVENT_IDX | BlkFeatures.SIZE_MAX | BlkFeatures.SEG_MAX | BlkFeatures.BLK_SIZE
            | BlkFeatures.FLUSH | (readOnly ? BlkFeatures.RO : 0);
        MemorySegment c = MemorySegment.ofArray(config);
        c.set(LE_LONG, BlkConfigLayout.CAPACITY_OFFSET, capacitySectors);
        c.set(LE_INT, BlkConfigLayout.SIZE_MAX_OFFSET, SIZE_MAX_BYTES);
        c.set(LE_INT, BlkConfigLayout.SEG_MAX_OFFSET, SEG_MAX);
        c.set(LE_INT, BlkConfigLayout.BLK_SIZE_OFFSET, BlkRequest.SECTOR_SIZE);
        c.set(LE_SHORT, BlkConfigLayout.NUM_QUEUES_OFFSET, (short) QUEUE_COUNT);
    }

    // ------------------------------------------------------------------ identity and configuration (control path)

    @Override
    public int deviceType() {
        return DEVICE_TYPE;
    }

    @Override
    public long deviceFeatures() {
        return deviceFeatures;
    }

    @Override
    public int queueCount() {
        return QUEUE_COUNT;
    }

    @Override
    public int queueMaxSize(int queue) {
        if (queue < 0 || queue >= QUEUE_COUNT) {
            throw new IllegalArgumentException("no such queue: queue=" + queue + ", queueCount=" + QUEUE_COUNT);
        }
        return QUEUE_MAX_SIZE;
    }

    @Override
    public int configSize() {
        return BlkConfigLayout.SIZE;
    }

    @Override
    public int readConfig(int offset, int size) {
        // Little-endian assembly of up to 4 bytes; bytes outside the structure read as 0 (never throws on guest input).
        int v = 0;
        for (int k = 0; k < Math.min(size, 4); k++) {
            int at = offset + k;
            if (at >= 0 && at < config.length) {
                v |= (config[at] & 0xff) << (8 * k);
            }
        }
        return v;
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        // §5.2.4: only writeback is driver-writable, and only with VIRTIO_BLK_F_CONFIG_WCE, which is not offered.
        // Anything else is ignored.
    }

    @Override
    public void activate(long features, SplitQueue[] activeQueues, VirtioInterrupt irq) {
        if (activeQueues == null || activeQueues.length < QUEUE_COUNT || activeQueues[0] == null) {
            throw new IllegalArgumentException("virtio-blk needs " + QUEUE_COUNT + " queue(s)");
        }
        long negotiated = features & deviceFeatures;
        this.interrupt = irq;
        this.flushNegotiated = (negotiated & BlkFeatures.FLUSH) != 0;
        this.queueBroken = false;
        // ORDERING: volatile store last; the worker's volatile load of queues sees every field above.
        this.queues = activeQueues.clone();
    }

    @Override
    public void reset() {
        this.queues = null;
        this.interrupt = null;
        this.flushNegotiated = false;
        this.queueBroken = false;
        // Synchronous I/O: nothing is in flight between batches, so there is nothing to cancel.
    }

    // ------------------------------------------------------------------ the queue (worker thread, hot path)

    @Override
    public void processQueue(int queue) {
        SplitQueue[] qs = queues;
        if (qs == null || queue != 0 || queueBroken) {
            return;
        }
        SplitQueue q = qs[0];
        // Kicks are pointless while we drain; after the batch, re-enable them and re-check the ring (the race:
        // a chain added just before the re-enable would otherwise wait for a kick that never comes).
        do {
            q.disableNotifications();
            if (!drain(q)) {
                return;
            }
        } while (q.enableNotificationsAndCheck());
    }

    /** Pops every available chain, completes it, publishes once, interrupts at most once. False if the queue broke. */
    private boolean drain(SplitQueue q) {
        boolean healthy = true;
        while (true) {
            int rc = q.popChain(chain);
            if (rc == QueueError.OK) {
                q.pushUsed(chain.headId(), complete());
                requests++;
            } else if (rc == QueueError.EMPTY) {
                break;
            } else if (QueueError.isRequestError(rc)) {
                // The chain itself is malformed: no buffer can be trusted to hold a status (used len 0).
                malformedChains++;
                requests++;
                logQueueErrorOnce(rc, chain.headId(), chain.errorIndex(), chain.errorValue());
                q.pushUsed(chain.headId(), 0);
            } else {
                markBroken(q, rc);
                healthy = false;
                break;
            }
        }
        // One release store of used idx per batch, and one interrupt decision (§2.7.7, §2.7.10).
        if (q.publishUsed()) {
            interruptsSignalled++;
            interrupt.signalUsed(0);
        }
        return healthy;
    }

    /** Serves the popped chain; returns the used length (bytes written to the guest, status included). */
    private int complete() {
        int code = request.parse(chain, capacitySectors, readOnly, flushNegotiated);
        if (code != BlkRequestError.OK) {
            return fail(code, 0);
        }
        switch (request.type()) {
            case BlkRequest.T_IN -> {
                int rc = transfer(false);
                if (rc < 0) {
                    return fail(BlkRequestError.BACKEND_ERROR, rc);
                }
                reads++;
                bytesRead += request.dataLen();
                return finish((int) (request.dataLen() + 1));
            }
            case BlkRequest.T_OUT -> {
                int rc = transfer(true);
                if (rc == 0 && !flushNegotiated) {
                    // §5.2.6: FLUSH offered but not negotiated means a write cache the driver cannot flush, so a
                    // completed write must already be stable (writethrough).
                    rc = backend.flush();
                }
                if (rc < 0) {
                    return fail(BlkRequestError.BACKEND_ERROR, rc);
                }
                writes++;
                bytesWritten += request.dataLen();
                return finish(1);
            }
            case BlkRequest.T_FLUSH -> {
                int rc = backend.flush();
                if (rc < 0) {
                    return fail(BlkRequestError.BACKEND_ERROR, rc);
                }
                flushes++;
                return finish(1);
            }
            default -> {
                // T_GET_ID (parse accepts no other type): the id, NUL-padded, cut to the buffer.
                int n = (int) request.dataLen();
                chain.scatterWritable(0, serial, 0, n);
                getIds++;
                return finish(n + 1);
            }
        }
    }

    /**
     * Moves the request's data between the disk and guest RAM, one backend call per descriptor. IN walks only the
     * writable descriptors and stops before the status byte; OUT walks only the readable ones after the header.
     */
    private int transfer(boolean toDisk) {
        int i = request.dataIndex();
        long off = request.dataOffset();
        long left = request.dataLen();
        long pos = request.diskOffset();
        while (left > 0) {
            long n = Math.min(chain.len(i) - off, left);
            if (n > 0) {
                // ALLOCATION: asSlice makes one 40-byte object per descriptor (C2 removes it only while the backend
                // call is monomorphic). Accepted in this first cut; the io_uring backend will put hostAddress(i) in
                // an iovec and need no segment at all.
                MemorySegment buf = chain.regionSegment(i).asSlice(chain.regionOffset(i) + off, n);
                int rc = toDisk ? backend.write(pos, buf) : backend.read(pos, buf);
                if (rc < 0) {
                    return rc;
                }
                pos += n;
                left -= n;
            }
            i++;
            off = 0;
        }
        return 0;
    }

    private int finish(int usedLen) {
        chain.putByte(request.statusIndex(), request.statusOffset(), (byte) BlkRequest.S_OK);
        return usedLen;
    }

    /** Completes a refused or failed request: the status byte if there is one, and the counters. */
    private int fail(int code, int errno) {
        errorsByKind[code]++;
        logBlkErrorOnce(code, errno);
        int status = BlkRequestError.status(code);
        if (status < 0) {
            return 0;
        }
        if (status == BlkRequest.S_UNSUPP) {
            unsupported++;
        } else {
            ioErrors++;
        }
        chain.putByte(request.statusIndex(), request.statusOffset(), (byte) status);
        return 1;
    }

    private void markBroken(SplitQueue q, int rc) {
        queueBroken = true;
        queueResets++;
        String why = "virtio-blk queue 0: " + QueueError.describe(rc) + " (value=0x" + Long.toHexString(q.brokenValue())
            + ")";
        LOG.log(Level.WARNING, why + "; device needs reset");
        interrupt.needsReset(why);
    }

    // ------------------------------------------------------------------ logging (first occurrence only, may allocate)

    private void logBlkErrorOnce(int code, int errno) {
        if (loggedBlkError[code]) {
            return;
        }
        loggedBlkError[code] = true;
        LOG.log(Level.WARNING, "virtio-blk: " + BlkRequestError.describe(code) + " (head=" + chain.headId()
            + ", type=" + request.type() + ", sector=" + Long.toUnsignedString(request.sector()) + ", dataLen="
            + request.dataLen() + ", capacity=" + capacitySectors + (errno != 0 ? ", errno=" + -errno : "")
            + "); logged once, counted always");
    }

    private void logQueueErrorOnce(int code, int head, int index, long value) {
        if (code < 0 || code >= loggedQueueError.length || loggedQueueError[code]) {
            return;
        }
        loggedQueueError[code] = true;
        LOG.log(Level.WARNING, "virtio-blk: malformed chain, " + QueueError.describe(code) + " (head=" + head
            + ", index=" + index + ", value=0x" + Long.toHexString(value) + "); completed with used len 0; logged once,"
            + " counted always");
    }

    // ------------------------------------------------------------------ counters

    public long capacitySectors() {
        return capacitySectors;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** Chains completed, good or bad. */
    public long requests() {
        return requests;
    }

    public long reads() {
        return reads;
    }

    public long writes() {
        return writes;
    }

    public long flushes() {
        return flushes;
    }

    public long getIds() {
        return getIds;
    }

    public long bytesRead() {
        return bytesRead;
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    /** Requests completed with VIRTIO_BLK_S_IOERR. */
    public long ioErrors() {
        return ioErrors;
    }

    /** Requests completed with VIRTIO_BLK_S_UNSUPP. */
    public long unsupported() {
        return unsupported;
    }

    /** Chains the queue refused (loops, out of RAM, ...), completed with used length 0. */
    public long malformedChains() {
        return malformedChains;
    }

    /** Times the device asked for DEVICE_NEEDS_RESET. */
    public long queueResets() {
        return queueResets;
    }

    public long interruptsSignalled() {
        return interruptsSignalled;
    }

    /** Requests refused or failed for {@code kind}, a {@link BlkRequestError} code. */
    public long errors(int kind) {
        return kind > 0 && kind < errorsByKind.length ? errorsByKind[kind] : 0;
    }
}
