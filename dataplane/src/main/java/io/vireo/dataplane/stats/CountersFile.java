package io.vireo.dataplane.stats;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Live counters in agrona's layout (Aeron's counters file): a metadata buffer (type id, label) and a values buffer
 * (one 128-byte slot per counter, so two writers never share a cache line), behind a small header, either in a
 * memory-mapped file that another process reads while this one runs, or in plain memory (tests, embedding).
 *
 * <pre>
 *   0  magic "VIREOCNT" (long, written last: a reader that sees it sees a complete header)
 *   8  version (int)           12  reserved
 *  16  pid of the writer       24  start time, epoch ms
 *  32  metadata length (int)   36  values length (int)
 * 128  metadata buffer  (maxCounters x 512 bytes)
 *  ..  values buffer    (maxCounters x 128 bytes)
 * </pre>
 *
 * <p>Writers: each counter has one writing thread, which updates it with a release store ({@link AtomicCounter}
 * {@code incrementRelease}/{@code setRelease}); a reader loads with acquire, without a lock or a system call.
 * Allocation ({@link #newCounter}) is serialised here and happens at set-up, never on the hot path.
 */
public final class CountersFile implements AutoCloseable {
    public static final long MAGIC = 0x544e434f45524956L; // "VIREOCNT" little-endian
    public static final int VERSION = 1;
    /** Type ids of the counters Vireo writes (agrona's metadata field), so readers can group them. */
    public static final int TYPE_BLK_QUEUE = 1;
    public static final int TYPE_AGENT = 2;
    public static final int TYPE_VCPU = 3;
    public static final int TYPE_LATENCY = 4;
    public static final int TYPE_MACHINE = 5;
    public static final int TYPE_NET_QUEUE = 6;
    static final int HEADER_LENGTH = 128;
    static final int PID_OFFSET = 16;
    static final int START_OFFSET = 24;
    static final int META_LENGTH_OFFSET = 32;
    static final int VALUES_LENGTH_OFFSET = 36;

    private final Path path;
    private final ByteBuffer mapping;
    private final CountersManager manager;
    private final CountersReader reader;

    private CountersFile(Path path, ByteBuffer mapping, CountersManager manager, CountersReader reader) {
        this.path = path;
        this.mapping = mapping;
        this.manager = manager;
        this.reader = reader;
    }

    /** Counters in process memory only. */
    public static CountersFile inMemory(int maxCounters) {
        ByteBuffer b = ByteBuffer.allocateDirect(length(maxCounters));
        return create(null, b, maxCounters);
    }

    /** Creates {@code file} (mode 0600, replacing nothing: it must not exist) and maps it read-write. */
    public static CountersFile create(Path file, int maxCounters) {
        try {
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(length(maxCounters));
                MappedByteBuffer m = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, length(maxCounters));
                return create(file, m, maxCounters);
            }
        } catch (IOException e) {
            throw new IllegalStateException("counters file " + file + ": " + e.getMessage(), e);
        }
    }

    private static CountersFile create(Path path, ByteBuffer b, int maxCounters) {
        if (maxCounters < 1) {
            throw new IllegalArgumentException("maxCounters must be >= 1: " + maxCounters);
        }
        UnsafeBuffer all = new UnsafeBuffer(b);
        int meta = maxCounters * CountersReader.METADATA_LENGTH;
        int values = maxCounters * CountersReader.COUNTER_LENGTH;
        all.putInt(8, VERSION);
        all.putLong(PID_OFFSET, ProcessHandle.current().pid());
        all.putLong(START_OFFSET, System.currentTimeMillis());
        all.putInt(META_LENGTH_OFFSET, meta);
        all.putInt(VALUES_LENGTH_OFFSET, values);
        // ORDERING: the magic is released after the header, so a reader that acquires it sees the lengths.
        all.putLongRelease(0, MAGIC);
        UnsafeBuffer metaBuffer = new UnsafeBuffer(b, HEADER_LENGTH, meta);
        UnsafeBuffer valuesBuffer = new UnsafeBuffer(b, HEADER_LENGTH + meta, values);
        CountersManager m = new CountersManager(metaBuffer, valuesBuffer, StandardCharsets.UTF_8);
        return new CountersFile(path, b, m, m);
    }

    private static int length(int maxCounters) {
        long n = HEADER_LENGTH + (long) maxCounters * (CountersReader.METADATA_LENGTH
            + CountersReader.COUNTER_LENGTH);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many counters: " + maxCounters);
        }
        return (int) n;
    }

    /**
     * Maps another process's counters file read-only for {@link #reader()}; the mapping outlives the file (a VM that
     * exits removes it, its last values stay readable here).
     *
     * @throws IllegalStateException when the file is not a complete Vireo counters file
     */
    public static CountersFile openReadOnly(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size < HEADER_LENGTH) {
                throw new IllegalStateException("counters file " + file + ": too short (" + size + " bytes)");
            }
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            UnsafeBuffer all = new UnsafeBuffer(m);
            if (all.getLongAcquire(0) != MAGIC || all.getInt(8) != VERSION) {
                throw new IllegalStateException("counters file " + file + ": not a Vireo counters file (version "
                    + VERSION + ")");
            }
            int meta = all.getInt(META_LENGTH_OFFSET);
            int values = all.getInt(VALUES_LENGTH_OFFSET);
            if (meta <= 0 || values <= 0 || HEADER_LENGTH + (long) meta + values > size) {
                throw new IllegalStateException("counters file " + file + ": lengths meta=" + meta + ", values="
                    + values + " do not fit in size=" + size);
            }
            AtomicBuffer metaBuffer = new UnsafeBuffer(m, HEADER_LENGTH, meta);
            AtomicBuffer valuesBuffer = new UnsafeBuffer(m, HEADER_LENGTH + meta, values);
            return new CountersFile(file, m, null, new CountersReader(metaBuffer, valuesBuffer,
                StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("counters file " + file + ": " + e.getMessage(), e);
        }
    }

    /** A new counter {@code label} (by convention {@code group.name}, e.g. {@code disk0.q0.requests}). */
    public synchronized AtomicCounter newCounter(String label, int typeId) {
        if (manager == null) {
            throw new IllegalStateException("counters file " + path + " is open read-only");
        }
        return manager.newCounter(label, typeId);
    }

    /**
     * Slots for a typed set, one counter per constant labelled {@code group.label} ({@link Counters#label}), so the
     * file, {@code --stats} and the JSON say the same name.
     */
    public CounterSlots slots(String group, int typeId, Counter[] keys) {
        AtomicCounter[] c = new AtomicCounter[keys.length];
        for (Counter k : keys) {
            c[k.ordinal()] = newCounter(group + "." + Counters.label(k), typeId);
        }
        return new FileCounterSlots(c);
    }

    /** The typed set {@code type} of {@code group} in this file. */
    public <E extends Enum<E> & Counter> Counters<E> counters(Class<E> type, String group, int typeId) {
        return new Counters<>(type, slots(group, typeId, type.getEnumConstants()));
    }

    public CountersReader reader() {
        return reader;
    }

    /** The writer's pid from the header. */
    public long pid() {
        return new UnsafeBuffer(mapping).getLong(PID_OFFSET);
    }

    /** The file, or null in memory. */
    public Path path() {
        return path;
    }

    /**
     * Removes the file (the mapping stays valid for writers still running, so a late increment cannot fault). Does
     * not unmap: the buffer goes with its last reference.
     */
    @Override
    public void close() {
        if (path != null && manager != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // Nothing to do: the run directory's removal reports it.
            }
        }
    }

    /** Unmaps a read-only mapping now (the caller reads nothing from it afterwards). */
    public void unmap() {
        if (manager == null && mapping instanceof MappedByteBuffer m) {
            IoUtil.unmap(m);
        }
    }
}
