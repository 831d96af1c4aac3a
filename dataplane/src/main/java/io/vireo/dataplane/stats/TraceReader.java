package io.vireo.dataplane.stats;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a request trace ({@link TraceLayout}) in record order: the oldest kept record first. The file is checked
 * before use: magic, version, record length, and a capacity that fits the file.
 */
public final class TraceReader implements AutoCloseable {
    /** One record; reused by {@link #forEach}, copy what you keep. */
    public static final class Record {
        public long timeNs;
        public long sector;
        public long serviceNs;
        public int lengthBytes;
        public int device;
        public int queue;
        public int op;
        public int status;
    }

    /** Receives records. */
    @FunctionalInterface
    public interface Visitor {
        void record(Record r);
    }

    private final MappedBytes mapped;
    private final BytesStore<?, ?> store;
    private final long capacity;
    private final long claimed;
    private final long dropped;
    private final int mode;
    private final long startEpochMs;
    private final long startNanos;

    private TraceReader(MappedBytes mapped, long capacity) {
        this.mapped = mapped;
        this.store = mapped.bytesStore();
        this.capacity = capacity;
        this.claimed = store.readVolatileLong(TraceLayout.CLAIMED_OFFSET);
        this.dropped = store.readVolatileLong(TraceLayout.DROPPED_OFFSET);
        this.mode = store.readInt(TraceLayout.MODE_OFFSET);
        this.startEpochMs = store.readLong(TraceLayout.START_EPOCH_MS_OFFSET);
        this.startNanos = store.readLong(TraceLayout.START_NANOS_OFFSET);
    }

    /** @throws IllegalArgumentException naming the problem when {@code file} is not a trace Vireo can read */
    public static TraceReader open(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (size < TraceLayout.HEADER) {
            throw new IllegalArgumentException(file + ": not a Vireo trace (" + size + " bytes, shorter than its"
                + " header)");
        }
        MappedBytes m;
        try {
            m = MappedBytes.singleMappedBytes(new File(file.toString()), size, true);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": cannot map (" + e.getMessage() + ")");
        }
        m.singleThreadedCheckDisabled(true);
        BytesStore<?, ?> s = m.bytesStore();
        String bad = null;
        long capacity = s.readLong(TraceLayout.CAPACITY_OFFSET);
        if (s.readVolatileLong(0) != TraceLayout.MAGIC) {
            bad = "not a Vireo trace (bad magic)";
        } else if (s.readInt(TraceLayout.VERSION_OFFSET) != TraceLayout.VERSION) {
            bad = "trace version " + s.readInt(TraceLayout.VERSION_OFFSET) + ", this Vireo reads "
                + TraceLayout.VERSION;
        } else if (s.readInt(TraceLayout.RECORD_LENGTH_OFFSET) != TraceLayout.RECORD) {
            bad = "record length " + s.readInt(TraceLayout.RECORD_LENGTH_OFFSET) + ", expected " + TraceLayout.RECORD;
        } else if (capacity < 1 || capacity > (size - TraceLayout.HEADER) / TraceLayout.RECORD) {
            bad = "capacity " + capacity + " records does not fit in " + size + " bytes";
        } else if (s.readLong(TraceLayout.CLAIMED_OFFSET) < 0) {
            bad = "negative record count";
        }
        if (bad != null) {
            m.releaseLast();
            throw new IllegalArgumentException(file + ": " + bad);
        }
        return new TraceReader(m, capacity);
    }

    /** Requests offered to the trace (recorded or not). */
    public long claimed() {
        return claimed;
    }

    /** Records kept in the file. */
    public long kept() {
        return Math.min(claimed, capacity);
    }

    public long capacity() {
        return capacity;
    }

    /** Requests lost: the oldest (wrap mode) or the newest (stop mode, {@link #dropped}). */
    public long lost() {
        return claimed - kept();
    }

    public boolean wraps() {
        return mode == TraceLayout.MODE_WRAP;
    }

    public long dropped() {
        return dropped;
    }

    public long startEpochMs() {
        return startEpochMs;
    }

    public long startNanos() {
        return startNanos;
    }

    /** Every kept record, oldest first. */
    public void forEach(Visitor v) {
        Record r = new Record();
        long first = wraps() ? claimed - kept() : 0;
        for (long n = first; n < first + kept(); n++) {
            long at = TraceLayout.HEADER + (n % capacity) * TraceLayout.RECORD;
            r.timeNs = store.readLong(at + TraceLayout.TIME_OFFSET);
            r.sector = store.readLong(at + TraceLayout.SECTOR_OFFSET);
            r.serviceNs = store.readLong(at + TraceLayout.SERVICE_OFFSET);
            r.lengthBytes = store.readInt(at + TraceLayout.LENGTH_OFFSET);
            int dq = store.readInt(at + TraceLayout.DEVICE_OFFSET);
            r.device = dq & 0xffff;
            r.queue = dq >>> 16;
            int os = store.readShort(at + TraceLayout.OP_OFFSET) & 0xffff;
            r.op = os & 0xff;
            r.status = os >>> 8;
            v.record(r);
        }
    }

    @Override
    public void close() {
        mapped.releaseLast();
    }
}
