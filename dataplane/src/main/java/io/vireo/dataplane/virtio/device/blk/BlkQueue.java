package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.stats.RequestTrace;
import io.vireo.dataplane.stats.ServiceTimes;
import io.vireo.dataplane.stats.TraceLayout;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.device.blk.backend.BlockQueue;
import io.vireo.dataplane.virtio.device.blk.backend.CompletionSink;
import io.vireo.dataplane.virtio.queue.DescriptorChain;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One virtio-blk request queue, served by the agent that owns it: pops chains, parses them, turns data descriptors into
 * {@code iovec}s that point straight into guest RAM, prepares the I/O on its own {@link BlockQueue}, submits once per
 * batch, and completes requests as the back end reports them (out of order), publishing the used ring once per batch
 * and interrupting at most once per batch, only when the driver asked (used_event / NO_INTERRUPT).
 *
 * <p>A request's tag is its head descriptor id: unique while in flight, below the queue size. Per-tag state lives in
 * arrays; the iovec array of a tag grows (rarely) to the longest chain seen and is reused after: the steady state
 * allocates nothing. All methods run on the owning agent's thread; {@link #activate}/{@link #reset} come as commands.
 */
public final class BlkQueue implements PolledQueue, CompletionSink {
    private static final int IOVEC_BYTES = 16;
    private static final int INITIAL_IOVECS = 4;

    // Stages of a tag.
    private static final byte FREE = 0;
    private static final byte IO = 1;
    /** A write done in write-through mode: its flush is the second stage. */
    private static final byte WRITE_THEN_FLUSH = 2;
    private static final byte FLUSH_AFTER_WRITE = 3;

    private final VirtioBlkDevice device;
    private final int index;
    private final int depth;
    private final BlockQueue io;
    private final int kickFd;
    private final DescriptorChain chain;
    private final BlkRequest request = new BlkRequest();
    private final Arena arena = Arena.ofShared();

    // Per tag.
    private final byte[] stage;
    private final byte[] kind;
    private final int[] usedLen;
    private final long[] bytes;
    /** The status byte's region in guest memory (an index: no reference store per request) and its offset there. */
    private final int[] statusRegion;
    private final long[] statusOffset;
    private final MemorySegment[] iov;
    /** Tags whose write completed and that now need their write-through flush (prepared after reap returns). */
    private final int[] flushAfter;
    private int flushAfterCount;

    // Activated state (owner thread).
    private SplitQueue queue;
    private VirtioInterrupt interrupt;
    private boolean active;
    private boolean broken;
    private int negotiated;
    private int pushed;
    /** An interrupt went to the guest since {@link #takeInterrupted} last asked. */
    private boolean interrupted;
    // Per-request counts of the current poll (see flushBatchCounters).
    private long batchRequests;
    private long batchReads;
    private long batchBytesRead;
    private long batchWrites;
    private long batchBytesWritten;
    private boolean dropCompletions;

    // Counters (owner thread writes; any thread, or another process through the counters file, reads).
    private final Counters<BlkCounter> counters;
    private final Counters<BlkRequestError> errorsByKind = new Counters<>(BlkRequestError.class);

    // Service times and the trace: per tag the pop time; per pushed entry of the batch what the trace records.
    private final ServiceTimes times = new ServiceTimes();
    private final long[] popNs;
    private final long[] sector;
    private final int[] batchTag;
    private final byte[] batchStatus;
    private long nowNs;
    private RequestTrace trace;
    private int traceDevice;

    BlkQueue(VirtioBlkDevice device, int index, int depth, BlockQueue io, Counters<BlkCounter> counters) {
        this.device = device;
        this.counters = counters;
        this.popNs = new long[depth];
        this.sector = new long[depth];
        this.batchTag = new int[depth];
        this.batchStatus = new byte[depth];
        this.index = index;
        this.depth = depth;
        this.io = io;
        this.kickFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        this.chain = new DescriptorChain(depth);
        this.stage = new byte[depth];
        this.kind = new byte[depth];
        this.usedLen = new int[depth];
        this.bytes = new long[depth];
        this.statusRegion = new int[depth];
        this.statusOffset = new long[depth];
        this.iov = new MemorySegment[depth];
        this.flushAfter = new int[depth];
        for (int t = 0; t < depth; t++) {
            iov[t] = arena.allocate((long) INITIAL_IOVECS * IOVEC_BYTES, 8);
        }
    }

    public int index() {
        return index;
    }

    @Override
    public int kickEventFd() {
        return kickFd;
    }

    @Override
    public int completionEventFd() {
        return io.completionEventFd();
    }

    /** Requests handed to the back end and not yet completed. */
    @Override
    public int inFlight() {
        return io.inFlight();
    }

    // ------------------------------------------------------------------ control (commands on the owner's thread)

    void activate(SplitQueue split, VirtioInterrupt irq, int negotiatedTypes) {
        this.queue = split;
        this.interrupt = irq;
        this.negotiated = negotiatedTypes;
        this.broken = false;
        this.pushed = 0;
        this.active = split != null;
    }

    /** Waits for the back end to finish what is in flight (results dropped: the driver gave the buffers up). */
    void reset() {
        dropCompletions = true;
        try {
            io.submit();
            while (io.inFlight() > 0) {
                if (io.reap(this) == 0) {
                    Thread.onSpinWait();
                }
            }
        } finally {
            dropCompletions = false;
        }
        flushAfterCount = 0;
        Arrays.fill(stage, FREE);
        active = false;
        broken = false;
        queue = null;
        interrupt = null;
        flushBatchCounters();
        pushed = 0;
    }

    void close() {
        io.close();
        Libc.closeQuietly(kickFd);
        arena.close();
    }

    // ------------------------------------------------------------------ the duty cycle (hot path)

    @Override
    public int poll() {
        if (!active) {
            return 0;
        }
        nowNs = 0;
        int work = io.reap(this);
        // Completions that were already there go to the guest before we pop and submit more: their interrupt does not
        // wait for this cycle's io_uring_enter.
        publish();
        if (!broken) {
            work += popAll();
        }
        work += submitAndReap();
        flushBatchCounters();
        publish();
        return work;
    }

    @Override
    public boolean takeInterrupted() {
        boolean was = interrupted;
        interrupted = false;
        return was;
    }

    private void publish() {
        if (pushed > 0) {
            int n = pushed;
            pushed = 0;
            counters.increment(BlkCounter.BATCHES);
            // One release store of used idx per batch, and one interrupt decision (§2.7.7, §2.7.10).
            boolean notify = queue.publishUsed();
            recordBatch(n, System.nanoTime());
            if (notify) {
                counters.increment(BlkCounter.INTERRUPTS);
                interrupted = true;
                interrupt.signalUsed(index);
            } else {
                counters.increment(BlkCounter.INTERRUPTS_SUPPRESSED);
            }
        }
    }

    /**
     * The per-request counters of this poll, added to the shared counters once per poll rather than once per request
     * (each add is an opaque store other threads may read); readers see them at most one poll late.
     */
    private void flushBatchCounters() {
        if (batchRequests != 0) {
            counters.add(BlkCounter.REQUESTS, batchRequests);
            batchRequests = 0;
        }
        if (batchReads != 0) {
            counters.add(BlkCounter.READS, batchReads);
            counters.add(BlkCounter.BYTES_READ, batchBytesRead);
            batchReads = 0;
            batchBytesRead = 0;
        }
        if (batchWrites != 0) {
            counters.add(BlkCounter.WRITES, batchWrites);
            counters.add(BlkCounter.BYTES_WRITTEN, batchBytesWritten);
            batchWrites = 0;
            batchBytesWritten = 0;
        }
    }

    /** Submits what was prepared, then reaps whatever completed meanwhile; repeats for write-through flushes. */
    private int submitAndReap() {
        int work = 0;
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < flushAfterCount; i++) {
                int tag = flushAfter[i];
                stage[tag] = FLUSH_AFTER_WRITE;
                int rc = io.prepareFlush(tag);
                if (rc < 0) {
                    finish(tag, rc);
                }
            }
            flushAfterCount = 0;
            int n = io.submit();
            if (n > 0) {
                counters.increment(BlkCounter.SUBMITS);
                nowNs = 0; // completions from here on take a fresh time stamp
            }
            int r = io.reap(this);
            work += r;
            if (flushAfterCount == 0) {
                break;
            }
        }
        return work;
    }

    @Override
    public void suppressNotifications() {
        io.quietCompletions();
        if (active && !broken) {
            queue.disableNotifications();
        }
    }

    @Override
    public boolean armNotifications() {
        // In-flight I/O wakes the agent through the completion eventfd, signalled again from here on.
        boolean completions = io.armCompletions();
        if (!active) {
            return completions;
        }
        boolean chains = !broken && queue.enableNotificationsAndCheck();
        // Requests a failed or partial submission left in the SQ wake nobody: they keep the agent awake (issue 18).
        return chains || completions || flushAfterCount > 0 || io.unsubmitted() > 0;
    }

    private int popAll() {
        int popped = 0;
        while (true) {
            QueueError rc = queue.popChain(chain);
            if (rc == QueueError.OK) {
                popped++;
                batchRequests++;
                popNs[chain.headId()] = stamp();
                start();
            } else if (rc == QueueError.EMPTY) {
                return popped;
            } else if (rc.isRequestError()) {
                // The chain itself is malformed: no buffer can be trusted to hold a status (used len 0).
                popped++;
                int head = chain.headId();
                counters.increment(BlkCounter.REQUESTS);
                counters.increment(BlkCounter.MALFORMED_CHAINS);
                device.logChainError(index, rc, head, chain.errorIndex(), chain.errorValue());
                popNs[head] = stamp();
                kind[head] = (byte) TraceLayout.OP_MALFORMED;
                bytes[head] = 0;
                sector[head] = 0;
                push(head, 0, TraceLayout.STATUS_NONE);
            } else {
                markBroken(rc);
                return popped;
            }
        }
    }

    /** Starts the popped request: done at once (errors, GET_ID) or prepared on the back end. */
    private void start() {
        int tag = chain.headId();
        BlkRequestError code = request.parse(chain, device.capacitySectors(), device.readOnly(), negotiated,
            VirtioBlkDevice.MAX_RANGE_SECTORS);
        if (code != BlkRequestError.OK) {
            kind[tag] = (byte) request.type();
            bytes[tag] = 0;
            sector[tag] = 0;
            int status = code.status();
            push(tag, fail(code, 0), status < 0 ? TraceLayout.STATUS_NONE : status);
            return;
        }
        int si = request.statusIndex();
        statusRegion[tag] = chain.regionIndex(si);
        statusOffset[tag] = chain.regionOffset(si) + request.statusOffset();
        int type = request.type();
        kind[tag] = (byte) type;
        bytes[tag] = request.dataLen();
        sector[tag] = request.diskOffset() >>> BlkRequest.SECTOR_SHIFT;
        stage[tag] = IO;
        int rc;
        switch (type) {
            case BlkRequest.T_IN -> {
                usedLen[tag] = (int) (request.dataLen() + 1);
                if (request.dataLen() == 0) {
                    finish(tag, 0);
                    return;
                }
                int n = buildIovecs(tag);
                rc = io.prepareRead(tag, request.diskOffset(), iov[tag], n, request.dataLen());
            }
            case BlkRequest.T_OUT -> {
                usedLen[tag] = 1;
                if (request.dataLen() == 0) {
                    finish(tag, 0);
                    return;
                }
                if (device.writeThrough(negotiated)) {
                    stage[tag] = WRITE_THEN_FLUSH;
                }
                int n = buildIovecs(tag);
                rc = io.prepareWrite(tag, request.diskOffset(), iov[tag], n, request.dataLen());
            }
            case BlkRequest.T_FLUSH -> {
                usedLen[tag] = 1;
                rc = io.prepareFlush(tag);
            }
            case BlkRequest.T_DISCARD -> {
                usedLen[tag] = 1;
                rc = request.dataLen() == 0 ? done(tag) : io.prepareDiscard(tag, request.diskOffset(),
                    request.dataLen());
            }
            case BlkRequest.T_WRITE_ZEROES -> {
                usedLen[tag] = 1;
                boolean unmap = (request.rangeFlags() & BlkRequest.RANGE_FLAG_UNMAP) != 0;
                rc = request.dataLen() == 0 ? done(tag) : io.prepareWriteZeroes(tag, request.diskOffset(),
                    request.dataLen(), unmap);
            }
            default -> {
                // T_GET_ID (parse accepts no other type): the id, NUL-padded, cut to the buffer.
                int n = (int) request.dataLen();
                chain.scatterWritable(0, device.serial(), 0, n);
                usedLen[tag] = n + 1;
                finish(tag, 0);
                return;
            }
        }
        if (rc < 0) {
            finish(tag, rc);
        }
    }

    private int done(int tag) {
        finish(tag, 0);
        return 0;
    }

    /**
     * Fills the tag's iovec array with the request's data descriptors: IN walks the writable ones and stops before the
     * status byte; OUT walks the readable ones after the header. Returns the entry count.
     */
    private int buildIovecs(int tag) {
        int first = request.dataIndex();
        long firstOff = request.dataOffset();
        long total = request.dataLen();
        MemorySegment v = iov[tag];
        // At most one entry per descriptor from the first data one on: when that fits, one pass fills the array.
        if ((long) (chain.count() - first) * IOVEC_BYTES > v.byteSize()) {
            int count = 0;
            long left = total;
            long off = firstOff;
            for (int i = first; left > 0; i++) {
                long n = Math.min(chain.len(i) - off, left);
                if (n > 0) {
                    count++;
                    left -= n;
                }
                off = 0;
            }
            if ((long) count * IOVEC_BYTES > v.byteSize()) {
                // ALLOCATION: only when a tag meets a longer chain than before; bounded by depth * chain capacity.
                v = arena.allocate((long) Math.max(count, chain.capacity()) * IOVEC_BYTES, 8);
                iov[tag] = v;
            }
        }
        long left = total;
        long off = firstOff;
        int k = 0;
        for (int i = first; left > 0; i++) {
            long n = Math.min(chain.len(i) - off, left);
            if (n > 0) {
                v.set(ValueLayout.JAVA_LONG, (long) k * IOVEC_BYTES, chain.hostAddress(i) + off);
                v.set(ValueLayout.JAVA_LONG, (long) k * IOVEC_BYTES + 8, n);
                k++;
                left -= n;
            }
            off = 0;
        }
        return k;
    }

    /** A back-end completion (CompletionSink): on the owner's thread, from {@link BlockQueue#reap}. */
    @Override
    public void complete(int tag, int result) {
        if (tag < 0 || tag >= depth || stage[tag] == FREE) {
            return;
        }
        if (dropCompletions) {
            stage[tag] = FREE;
            return;
        }
        times.recordBackend(stamp() - popNs[tag]);
        if (stage[tag] == WRITE_THEN_FLUSH && result == 0) {
            // Write-through: the write is acknowledged only once its data is stable.
            flushAfter[flushAfterCount++] = tag;
            return;
        }
        finish(tag, result);
    }

    /** Writes the status, counts, and pushes the used entry. */
    private void finish(int tag, int result) {
        byte status;
        int len;
        if (result == 0) {
            status = BlkRequest.S_OK;
            len = usedLen[tag];
            switch (kind[tag]) {
                case BlkRequest.T_IN -> {
                    batchReads++;
                    batchBytesRead += bytes[tag];
                }
                case BlkRequest.T_OUT -> {
                    batchWrites++;
                    batchBytesWritten += bytes[tag];
                }
                case BlkRequest.T_FLUSH -> counters.increment(BlkCounter.FLUSHES);
                case BlkRequest.T_DISCARD -> counters.increment(BlkCounter.DISCARDS);
                case BlkRequest.T_WRITE_ZEROES -> counters.increment(BlkCounter.WRITE_ZEROES);
                default -> counters.increment(BlkCounter.GET_IDS);
            }
        } else {
            status = BlkRequest.S_IOERR;
            len = 1;
            counters.increment(BlkCounter.IO_ERRORS);
            errorsByKind.increment(BlkRequestError.BACKEND_ERROR);
            device.logBackendErrorOnce(index, kind[tag], result);
        }
        chain.memory().region(statusRegion[tag]).segment().set(ValueLayout.JAVA_BYTE, statusOffset[tag], status);
        stage[tag] = FREE;
        push(tag, len, status);
    }

    private void push(int head, int len, int status) {
        queue.pushUsed(head, len);
        if (pushed < batchTag.length) {
            batchTag[pushed] = head;
            batchStatus[pushed] = (byte) status;
        }
        pushed++;
    }

    /** The clock of this poll, read at most once until reset (per poll, and after each submission). */
    private long stamp() {
        long t = nowNs;
        if (t == 0) {
            t = System.nanoTime();
            nowNs = t;
        }
        return t;
    }

    /** Service times of the batch just published at {@code publishedNs}, and its trace records. */
    private void recordBatch(int n, long publishedNs) {
        int count = Math.min(n, batchTag.length);
        RequestTrace t = trace;
        for (int i = 0; i < count; i++) {
            int tag = batchTag[i];
            long svc = publishedNs - popNs[tag];
            times.recordService(svc);
            if (t != null) {
                t.record(publishedNs, traceDevice, index, kind[tag] & 0xff, sector[tag], (int) bytes[tag],
                    batchStatus[i] & 0xff, svc);
            }
        }
    }

    /** A refused request: the status byte if there is one, and the counters. Returns the used length. */
    private int fail(BlkRequestError code, int errno) {
        errorsByKind.increment(code);
        device.logBlkError(index, code, chain.headId(), request);
        int status = code.status();
        if (status < 0) {
            return 0;
        }
        if (status == BlkRequest.S_UNSUPP) {
            counters.increment(BlkCounter.UNSUPPORTED);
        } else {
            counters.increment(BlkCounter.IO_ERRORS);
        }
        chain.putByte(request.statusIndex(), request.statusOffset(), (byte) status);
        return 1;
    }

    private void markBroken(QueueError rc) {
        broken = true;
        counters.increment(BlkCounter.NEEDS_RESET);
        device.logQueueBroken(index, rc, queue.brokenValue());
        interrupt.needsReset(rc.name()); // logged above: the transport does not repeat it
    }

    boolean broken() {
        return broken;
    }

    // ------------------------------------------------------------------ counters

    long errors(BlkRequestError kind) {
        return errorsByKind.get(kind);
    }

    /** This queue's service-time histograms. */
    public ServiceTimes serviceTimes() {
        return times;
    }

    /** Records every completed request in {@code journal} as device {@code deviceIndex}; before activation. */
    void trace(RequestTrace journal, int deviceIndex) {
        this.trace = journal;
        this.traceDevice = deviceIndex;
    }

    /** This queue's counters. */
    @Override
    public Counters<BlkCounter> counters() {
        return counters;
    }
}
