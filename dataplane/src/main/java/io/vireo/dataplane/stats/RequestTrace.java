package io.vireo.dataplane.stats;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The request trace ({@code --trace FILE}): every completed request appended by the agent that completed it to a
 * memory-mapped journal ({@link TraceLayout}), written through chronicle-bytes over one mapping of the whole file:
 * a record is an atomic add on the shared claim counter and six plain stores into the mapping, no allocation and no
 * system call. Several agents may write the same trace: the claim counter gives each record its own slot. A full
 * journal wraps (keeps the latest) or stops (counts what it dropped), by setting; {@link #close} says which.
 */
public final class RequestTrace implements AutoCloseable {
    private final Path file;
    private final MappedBytes mapped;
    private final BytesStore<?, ?> store;
    private final long capacity;
    private final boolean wrap;

    private RequestTrace(Path file, MappedBytes mapped, long capacity, boolean wrap) {
        this.file = file;
        this.mapped = mapped;
        this.store = mapped.bytesStore();
        this.capacity = capacity;
        this.wrap = wrap;
    }

    /**
     * Creates (or truncates) {@code file} for {@code capacityRecords} records.
     *
     * @param wrap true: a full journal overwrites its oldest records; false: it stops recording and counts the rest
     */
    public static RequestTrace create(Path file, long capacityRecords, boolean wrap) {
        if (capacityRecords < 1) {
            throw new IllegalArgumentException("trace capacity must be >= 1 record: " + capacityRecords);
        }
        long size = TraceLayout.HEADER + capacityRecords * TraceLayout.RECORD;
        try {
            Files.deleteIfExists(file);
            MappedBytes m = MappedBytes.singleMappedBytes(new File(file.toString()), size);
            m.singleThreadedCheckDisabled(true);
            BytesStore<?, ?> s = m.bytesStore();
            s.writeInt(TraceLayout.VERSION_OFFSET, TraceLayout.VERSION);
            s.writeInt(TraceLayout.RECORD_LENGTH_OFFSET, TraceLayout.RECORD);
            s.writeLong(TraceLayout.CAPACITY_OFFSET, capacityRecords);
            s.writeInt(TraceLayout.MODE_OFFSET, wrap ? TraceLayout.MODE_WRAP : TraceLayout.MODE_STOP);
            s.writeLong(TraceLayout.START_EPOCH_MS_OFFSET, System.currentTimeMillis());
            s.writeLong(TraceLayout.START_NANOS_OFFSET, System.nanoTime());
            // ORDERING: the magic last, released: a reader that sees it sees the header.
            s.writeOrderedLong(0, TraceLayout.MAGIC);
            return new RequestTrace(file, m, capacityRecords, wrap);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("--trace " + file + ": cannot create (" + e.getMessage() + ")", e);
        }
    }

    /** One completed request. Any agent thread; allocation-free. */
    public void record(long timeNs, int device, int queue, int op, long sector, int lengthBytes, int status,
                       long serviceNs) {
        long n = store.addAndGetLong(TraceLayout.CLAIMED_OFFSET, 1) - 1;
        if (n >= capacity && !wrap) {
            store.addAndGetLong(TraceLayout.DROPPED_OFFSET, 1);
            return;
        }
        long at = TraceLayout.HEADER + (n % capacity) * TraceLayout.RECORD;
        store.writeLong(at + TraceLayout.TIME_OFFSET, timeNs);
        store.writeLong(at + TraceLayout.SECTOR_OFFSET, sector);
        store.writeLong(at + TraceLayout.SERVICE_OFFSET, serviceNs);
        store.writeInt(at + TraceLayout.LENGTH_OFFSET, lengthBytes);
        store.writeInt(at + TraceLayout.DEVICE_OFFSET, (device & 0xffff) | (queue << 16));
        store.writeShort(at + TraceLayout.OP_OFFSET, (short) ((op & 0xff) | ((status & 0xff) << 8)));
    }

    public long claimed() {
        return store.readVolatileLong(TraceLayout.CLAIMED_OFFSET);
    }

    public long dropped() {
        return store.readVolatileLong(TraceLayout.DROPPED_OFFSET);
    }

    public Path file() {
        return file;
    }

    /** One line on how the journal ended: complete, wrapped (oldest lost) or stopped (newest not recorded). */
    public String describe() {
        long n = claimed();
        if (n <= capacity) {
            return "trace " + file + ": " + n + " requests recorded";
        }
        return wrap
            ? "trace " + file + ": full, wrapped: kept the latest " + capacity + " of " + n + " requests"
            : "trace " + file + ": full, stopped: " + capacity + " of " + n + " requests recorded, "
                + dropped() + " not";
    }

    /** Unmaps; after every writer has stopped. */
    @Override
    public void close() {
        mapped.releaseLast();
    }
}
