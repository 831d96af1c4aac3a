package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.RequestTrace;
import io.vireo.dataplane.stats.ServiceTimes;
import io.vireo.dataplane.stats.StatsSink;
import io.vireo.dataplane.stats.StatsSource;
import io.vireo.dataplane.virtio.ConfigBytes;
import io.vireo.dataplane.virtio.FaultLog;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.agent.PolledDevice;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * virtio-blk (virtio 1.2 §5.2): multi-queue, asynchronous I/O through a {@link BlockBackend}, one {@link BlkQueue} per
 * virtqueue. Offers FLUSH with a write-back cache the driver may switch to write-through (CONFIG_WCE), DISCARD and
 * WRITE_ZEROES (one segment per request) when the back end can free space, GET_ID, topology, RO, and
 * {@code num_queues} request queues (MQ).
 *
 * <p>The write cache contract: with write-back (the default, {@code writeback = 1}) a completed write may sit in the
 * host's cache until a FLUSH completes, which is {@code fdatasync}: nothing acknowledged to a flush is lost if the VMM
 * is killed. With write-through (the driver wrote 0 to {@code writeback}, or did not negotiate FLUSH) every write is
 * followed by {@code fdatasync} before it completes.
 *
 * <p>Two error tiers (as Cloud Hypervisor): a bad request is completed with IOERR or UNSUPP (or, without a status
 * byte, with used length 0) and the queue goes on; a corrupt queue makes the device ask for DEVICE_NEEDS_RESET once
 * and stop serving that queue until reset. Each kind of fault is logged the first time it is seen, and counted always.
 *
 * <p>Threading: each queue runs on the thread of the agent that owns it ({@link PolledDevice}); the
 * {@link #activate}/{@link #processQueue}/{@link #reset} trio serves every queue on the caller's thread instead, for
 * tests and benchmarks that drive the device directly.
 */
public final class VirtioBlkDevice implements PolledDevice, StatsSource, AutoCloseable {
    /** Device id of a block device (§5.2.1). */
    public static final int DEVICE_TYPE = 2;
    public static final int QUEUE_MAX_SIZE = 256;
    /** seg_max: header and status take two descriptors of a chain (as QEMU: queue size - 2). */
    public static final int SEG_MAX = QUEUE_MAX_SIZE - 2;
    /** size_max: the largest single data segment a driver may use. Not enforced: a bigger one is merely slower. */
    public static final int SIZE_MAX_BYTES = 1 << 20;
    /** max_discard_sectors and max_write_zeroes_sectors: 2 GiB - 512 per request. */
    public static final long MAX_RANGE_SECTORS = (1L << 22) - 1;
    /** discard_sector_alignment: 4 KiB, the host file system's block. */
    public static final int DISCARD_ALIGNMENT_SECTORS = 8;
    public static final int MAX_QUEUES = 64;

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
    private final BlkQueue[] queues;
    private volatile boolean everActivated;
    /** The writeback field (CONFIG_WCE): written by the driver on a vCPU thread, read per write by the queues. */
    private volatile boolean writeback = true;

    // Guest faults: the first few logged, the rest counted (a hostile guest must not flood the host log). Queues on
    // several threads share it. A back end error is the host's: logged once.
    private final FaultLog faultLog = new FaultLog("virtio-blk");
    private final AtomicBoolean loggedBackendError = new AtomicBoolean();

    /**
     * @param backend   the disk, not owned (close it after {@link #close()}); read-only backends make the device offer
     *                  VIRTIO_BLK_F_RO
     * @param serial    the GET_ID string, ASCII, at most 20 bytes; null or empty for none (all NULs)
     * @param numQueues request queues offered (num_queues), 1 to {@value #MAX_QUEUES}
     */
    public VirtioBlkDevice(BlockBackend backend, String serial, int numQueues) {
        this(backend, serial, numQueues, null, "blk");
    }

    /**
     * @param counters where the queues' counters live ({@code name.qN.requests}, ...); null for counters of their own
     * @param name     the device's name in the counters file and the reports, e.g. {@code disk0}
     */
    public VirtioBlkDevice(BlockBackend backend, String serial, int numQueues, CountersFile counters, String name) {
        if (numQueues < 1 || numQueues > MAX_QUEUES) {
            throw new IllegalArgumentException("queues must be 1.." + MAX_QUEUES + ": " + numQueues);
        }
        this.backend = backend;
        this.capacitySectors = backend.sizeBytes() >>> BlkRequest.SECTOR_SHIFT;
        this.readOnly = backend.readOnly();
        byte[] id = serial == null ? new byte[0] : serial.getBytes(StandardCharsets.US_ASCII);
        if (id.length > BlkRequest.ID_BYTES) {
            throw new IllegalArgumentException("serial longer than 20 bytes: length=" + id.length + ", serial="
                + serial);
        }
        MemorySegment.copy(id, 0, this.serial, ValueLayout.JAVA_BYTE, 0, id.length);
        boolean discard = !readOnly && backend.supportsDiscard();
        this.deviceFeatures = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC
            | VirtioFeatures.RING_EVENT_IDX | BlkFeatures.SIZE_MAX | BlkFeatures.SEG_MAX | BlkFeatures.BLK_SIZE
            | BlkFeatures.FLUSH | BlkFeatures.CONFIG_WCE | BlkFeatures.TOPOLOGY | BlkFeatures.MQ
            | (readOnly ? BlkFeatures.RO : 0) | (discard ? BlkFeatures.DISCARD | BlkFeatures.WRITE_ZEROES : 0);
        MemorySegment c = MemorySegment.ofArray(config);
        c.set(LE_LONG, BlkConfigLayout.CAPACITY_OFFSET, capacitySectors);
        c.set(LE_INT, BlkConfigLayout.SIZE_MAX_OFFSET, SIZE_MAX_BYTES);
        c.set(LE_INT, BlkConfigLayout.SEG_MAX_OFFSET, SEG_MAX);
        c.set(LE_INT, BlkConfigLayout.BLK_SIZE_OFFSET, BlkRequest.SECTOR_SIZE);
        // Topology: 4 KiB physical blocks (the host file system's), I/O of at least one of them preferred.
        c.set(ValueLayout.JAVA_BYTE, BlkConfigLayout.TOPOLOGY_PHYSICAL_BLOCK_EXP_OFFSET, (byte) 3);
        c.set(LE_SHORT, BlkConfigLayout.TOPOLOGY_MIN_IO_SIZE_OFFSET, (short) 8);
        c.set(ValueLayout.JAVA_BYTE, BlkConfigLayout.WRITEBACK_OFFSET, (byte) 1);
        c.set(LE_SHORT, BlkConfigLayout.NUM_QUEUES_OFFSET, (short) numQueues);
        if (discard) {
            c.set(LE_INT, BlkConfigLayout.MAX_DISCARD_SECTORS_OFFSET, (int) MAX_RANGE_SECTORS);
            c.set(LE_INT, BlkConfigLayout.MAX_DISCARD_SEG_OFFSET, 1);
            c.set(LE_INT, BlkConfigLayout.DISCARD_SECTOR_ALIGNMENT_OFFSET, DISCARD_ALIGNMENT_SECTORS);
            c.set(LE_INT, BlkConfigLayout.MAX_WRITE_ZEROES_SECTORS_OFFSET, (int) MAX_RANGE_SECTORS);
            c.set(LE_INT, BlkConfigLayout.MAX_WRITE_ZEROES_SEG_OFFSET, 1);
            c.set(ValueLayout.JAVA_BYTE, BlkConfigLayout.WRITE_ZEROES_MAY_UNMAP_OFFSET, (byte) 1);
        }
        this.queues = new BlkQueue[numQueues];
        for (int q = 0; q < numQueues; q++) {
            String group = name + ".q" + q;
            Counters<BlkCounter> set = counters == null ? new Counters<>(BlkCounter.class)
                : counters.counters(BlkCounter.class, group, CountersFile.TYPE_BLK_QUEUE);
            queues[q] = new BlkQueue(this, q, QUEUE_MAX_SIZE, backend.openQueue(QUEUE_MAX_SIZE), set);
        }
    }

    /** Records every request of every queue in {@code trace} as device {@code deviceIndex}. Before activation. */
    public void trace(RequestTrace trace, int deviceIndex) {
        for (BlkQueue q : queues) {
            q.trace(trace, deviceIndex);
        }
    }

    /** The service-time histograms of queue {@code queue}. */
    public ServiceTimes serviceTimes(int queue) {
        return queues[queue].serviceTimes();
    }

    /** One request queue. */
    public VirtioBlkDevice(BlockBackend backend, String serial) {
        this(backend, serial, 1);
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
        return queues.length;
    }

    @Override
    public int queueMaxSize(int queue) {
        if (queue < 0 || queue >= queues.length) {
            throw new IllegalArgumentException("no such queue: queue=" + queue + ", queueCount=" + queues.length);
        }
        return QUEUE_MAX_SIZE;
    }

    @Override
    public int configSize() {
        return BlkConfigLayout.SIZE;
    }

    @Override
    public int readConfig(int offset, int size) {
        return ConfigBytes.read(config, offset, size);
    }

    @Override
    public synchronized void writeConfig(int offset, int size, int value) {
        // §5.2.4: only writeback is driver-writable (CONFIG_WCE is offered); anything else is ignored.
        if (offset == BlkConfigLayout.WRITEBACK_OFFSET && size >= 1) {
            boolean wb = (value & 0xff) != 0;
            config[BlkConfigLayout.WRITEBACK_OFFSET] = (byte) (wb ? 1 : 0);
            writeback = wb;
        }
    }

    /** Whether writes must be stable before they complete (write-through). */
    boolean writeThrough(int negotiatedTypes) {
        return (negotiatedTypes & BlkRequest.NEG_FLUSH) == 0 || !writeback;
    }

    /** The negotiated optional request types, as {@link BlkRequest#parse} takes them. */
    private int negotiatedTypes(long features) {
        long f = features & deviceFeatures;
        return ((f & BlkFeatures.FLUSH) != 0 ? BlkRequest.NEG_FLUSH : 0)
            | ((f & BlkFeatures.DISCARD) != 0 ? BlkRequest.NEG_DISCARD : 0)
            | ((f & BlkFeatures.WRITE_ZEROES) != 0 ? BlkRequest.NEG_WRITE_ZEROES : 0);
    }

    // ------------------------------------------------------------------ queues owned by agents

    @Override
    public PolledQueue polledQueue(int queue) {
        return queues[queue];
    }

    @Override
    public void activateQueue(int queue, long features, SplitQueue split, VirtioInterrupt interrupt) {
        queues[queue].activate(split, interrupt, negotiatedTypes(features));
        if (split != null) {
            everActivated = true;
        }
    }

    /** A driver has set DRIVER_OK with a queue enabled at least once (any thread). */
    public boolean everActivated() {
        return everActivated;
    }

    @Override
    public void resetQueue(int queue) {
        queues[queue].reset();
    }

    // ------------------------------------------------------------------ direct use on one thread

    @Override
    public void activate(long features, SplitQueue[] activeQueues, VirtioInterrupt irq) {
        if (activeQueues == null || activeQueues.length < 1 || activeQueues[0] == null) {
            throw new IllegalArgumentException("virtio-blk needs at least queue 0");
        }
        for (int q = 0; q < queues.length; q++) {
            activateQueue(q, features, q < activeQueues.length ? activeQueues[q] : null, irq);
        }
    }

    /** Serves queue {@code queue} on the caller's thread until it is idle and nothing is in flight. */
    @Override
    public void processQueue(int queue) {
        if (queue < 0 || queue >= queues.length) {
            return;
        }
        BlkQueue q = queues[queue];
        q.suppressNotifications();
        while (true) {
            q.poll();
            if (q.inFlight() > 0) {
                Thread.onSpinWait();
                continue;
            }
            if (!q.armNotifications()) {
                return;
            }
            q.suppressNotifications();
        }
    }

    @Override
    public void reset() {
        for (int q = 0; q < queues.length; q++) {
            resetQueue(q);
        }
    }

    /** Closes the queues' I/O contexts and eventfds (after reset, agents stopped). The back end is the caller's. */
    @Override
    public void close() {
        for (BlkQueue q : queues) {
            q.close();
        }
        faultLog.summary(); // faults counted since the last line, if any
    }

    // ------------------------------------------------------------------ for the queues

    MemorySegment serial() {
        return serial;
    }

    public long capacitySectors() {
        return capacitySectors;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public BlockBackend backend() {
        return backend;
    }

    /** The guest-fault log; the embedder names the device as its user knows it: {@code faultLog().name("disk0")}. */
    public FaultLog faultLog() {
        return faultLog;
    }

    /** A request refused by parsing (§5.2.6): completed with the status {@code code} maps to. */
    void logBlkError(int queue, BlkRequestError code, int head, BlkRequest request) {
        if (!faultLog.admit()) {
            return;
        }
        int status = code.status();
        faultLog.log(queue, code.describe(), "head " + head + ", type "
            + request.type() + ", sector " + Long.toUnsignedString(request.sector()) + ", data " + request.dataLen()
            + " bytes, capacity " + capacitySectors + " sectors", status < 0 ? "completed with used length 0"
            : status == BlkRequest.S_UNSUPP ? "completed with UNSUPP" : "completed with IOERR");
    }

    /** A malformed chain (§2.7.5): completed with used length 0, the queue goes on. */
    void logChainError(int queue, QueueError code, int head, int index, long value) {
        if (faultLog.admit()) {
            faultLog.log(queue, code.describe(), "head " + head + ", descriptor " + index
                + ", value 0x" + Long.toHexString(value), "completed with used length 0");
        }
    }

    /** A corrupt queue (§2.7.6): the queue stops until the driver resets the device. */
    void logQueueBroken(int queue, QueueError code, long value) {
        if (faultLog.admit()) {
            faultLog.log(queue, code.describe(), "value 0x" + Long.toHexString(value),
                "device needs reset");
        }
    }

    void logBackendErrorOnce(int queue, int type, int result) {
        if (loggedBackendError.getAndSet(true)) {
            return;
        }
        LOG.log(Level.WARNING, faultLog.name() + " q" + queue + ": back end I/O error (type=" + type + ", result="
            + result + ", " + backend.describe() + "); completed with IOERR; logged once, counted always");
    }

    // ------------------------------------------------------------------ counters (sums over queues)

    /** Counter {@code c} summed over the queues (monitoring, any thread). */
    public long sum(BlkCounter c) {
        long total = 0;
        for (BlkQueue q : queues) {
            total += q.counters().get(c);
        }
        return total;
    }

    /** Chains completed, good or bad. */
    public long requests() {
        return sum(BlkCounter.REQUESTS);
    }

    public long reads() {
        return sum(BlkCounter.READS);
    }

    public long writes() {
        return sum(BlkCounter.WRITES);
    }

    public long flushes() {
        return sum(BlkCounter.FLUSHES);
    }

    public long getIds() {
        return sum(BlkCounter.GET_IDS);
    }

    public long bytesRead() {
        return sum(BlkCounter.BYTES_READ);
    }

    public long bytesWritten() {
        return sum(BlkCounter.BYTES_WRITTEN);
    }

    /** Requests completed with VIRTIO_BLK_S_IOERR. */
    public long ioErrors() {
        return sum(BlkCounter.IO_ERRORS);
    }

    /** Requests completed with VIRTIO_BLK_S_UNSUPP. */
    public long unsupported() {
        return sum(BlkCounter.UNSUPPORTED);
    }

    /** Chains the queue refused (loops, out of RAM, ...), completed with used length 0. */
    public long malformedChains() {
        return sum(BlkCounter.MALFORMED_CHAINS);
    }

    /** Times a queue asked for DEVICE_NEEDS_RESET. */
    public long queueResets() {
        return sum(BlkCounter.NEEDS_RESET);
    }

    public long interruptsSignalled() {
        return sum(BlkCounter.INTERRUPTS);
    }

    public long discards() {
        return sum(BlkCounter.DISCARDS);
    }

    public long writeZeroes() {
        return sum(BlkCounter.WRITE_ZEROES);
    }

    /** Requests refused or failed for {@code kind}. */
    public long errors(BlkRequestError kind) {
        if (kind == BlkRequestError.OK) {
            return 0;
        }
        long s = 0;
        for (BlkQueue q : queues) {
            s += q.errors(kind);
        }
        return s;
    }

    /** Every queue's counters summed, then per queue with a {@code qN.} prefix when there are several. */
    @Override
    public void report(StatsSink sink) {
        List<Counters<BlkCounter>> all = new ArrayList<>(queues.length);
        for (BlkQueue q : queues) {
            all.add(q.counters());
        }
        Counters.reportSum(BlkCounter.class, sink, all);
        if (queues.length > 1) {
            for (BlkQueue q : queues) {
                String prefix = "q" + q.index() + ".";
                q.counters().report((name, value) -> sink.counter(prefix + name, value));
            }
        }
    }
}
