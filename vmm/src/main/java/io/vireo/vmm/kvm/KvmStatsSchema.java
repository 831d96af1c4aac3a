package io.vireo.vmm.kvm;

import io.vireo.sys.Kvm;
import io.vireo.sys.KvmStatsDescLayout;
import io.vireo.sys.KvmStatsHeaderLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The descriptors of one KVM binary stats file (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"),
 * parsed once; values are decoded from the data block with {@link #decode}.
 *
 * <pre>
 *   offset 0            kvm_stats_header (24 B): flags, name_size, num_desc, id_offset, desc_offset, data_offset
 *   id_offset           id, name_size bytes, NUL-padded ("kvm-PID" or "kvm-PID/vcpu-N")
 *   desc_offset         num_desc x { kvm_stats_desc (16 B) | name, name_size bytes }
 *   data_offset         u64 values; descriptor i owns size_i u64 at data_offset + offset_i
 * </pre>
 *
 * Each descriptor decodes to one long: a histogram (linear or log) to the sum of its buckets, i.e. its
 * number of samples, which is cumulative like a counter; any other multi-value stat to its first value.
 */
public final class KvmStatsSchema {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    /** Sanity limits on what the kernel tells us: far above today's (name_size 48, 47 descriptors). */
    static final int MAX_NAME_SIZE = 4096;
    static final int MAX_DESCRIPTORS = 65536;
    static final long MAX_DATA_BYTES = 1L << 24;

    /** One statistic: its name and how to read and interpret it. */
    public record Descriptor(String name, int flags, int exponent, int size, int offset, int bucketSize) {
        public int type() {
            return flags & Kvm.KVM_STATS_TYPE_MASK;
        }

        public int unit() {
            return flags & Kvm.KVM_STATS_UNIT_MASK;
        }

        public int base() {
            return flags & Kvm.KVM_STATS_BASE_MASK;
        }

        public boolean histogram() {
            return type() == Kvm.KVM_STATS_TYPE_LINEAR_HIST || type() == Kvm.KVM_STATS_TYPE_LOG_HIST;
        }

        /** Cumulative counters and histograms only grow: their difference over a window means something. */
        public boolean cumulative() {
            return type() == Kvm.KVM_STATS_TYPE_CUMULATIVE || histogram();
        }

        public String typeName() {
            return switch (type()) {
                case Kvm.KVM_STATS_TYPE_CUMULATIVE -> "cumulative";
                case Kvm.KVM_STATS_TYPE_INSTANT -> "instant";
                case Kvm.KVM_STATS_TYPE_PEAK -> "peak";
                case Kvm.KVM_STATS_TYPE_LINEAR_HIST -> "linear_hist";
                case Kvm.KVM_STATS_TYPE_LOG_HIST -> "log_hist";
                default -> "type" + (type() >>> Kvm.KVM_STATS_TYPE_SHIFT);
            };
        }

        public String unitName() {
            return switch (unit()) {
                case Kvm.KVM_STATS_UNIT_NONE -> "none";
                case Kvm.KVM_STATS_UNIT_BYTES -> "bytes";
                case Kvm.KVM_STATS_UNIT_SECONDS -> "seconds";
                case Kvm.KVM_STATS_UNIT_CYCLES -> "cycles";
                case Kvm.KVM_STATS_UNIT_BOOLEAN -> "boolean";
                default -> "unit" + (unit() >>> Kvm.KVM_STATS_UNIT_SHIFT);
            };
        }
    }

    private final String id;
    private final List<Descriptor> descriptors;
    private final String[] names;
    private final int[] offsets;
    private final int[] sizes;
    private final boolean[] histogram;
    private final boolean[] cumulative;
    private final Map<String, Integer> indexByName = new HashMap<>();
    private final long dataOffset;
    private final int dataBytes;

    private KvmStatsSchema(String id, List<Descriptor> descriptors, long dataOffset) {
        this.id = id;
        this.descriptors = List.copyOf(descriptors);
        int n = descriptors.size();
        names = new String[n];
        offsets = new int[n];
        sizes = new int[n];
        histogram = new boolean[n];
        cumulative = new boolean[n];
        long end = 0;
        for (int i = 0; i < n; i++) {
            Descriptor d = descriptors.get(i);
            names[i] = d.name();
            offsets[i] = d.offset();
            sizes[i] = d.size();
            histogram[i] = d.histogram();
            cumulative[i] = d.cumulative();
            end = Math.max(end, d.offset() + 8L * d.size());
            if (indexByName.putIfAbsent(d.name(), i) != null) {
                throw new IllegalArgumentException("KVM stats " + id + ": descriptor " + i + " repeats the name "
                    + d.name());
            }
        }
        this.dataOffset = dataOffset;
        this.dataBytes = (int) end;
    }

    /** How many bytes from offset 0 {@link #parse} needs, given the 24-byte header. */
    public static long prefixBytes(MemorySegment header) {
        long nameSize = Integer.toUnsignedLong(header.get(U32, KvmStatsHeaderLayout.NAME_SIZE_OFFSET));
        long numDesc = Integer.toUnsignedLong(header.get(U32, KvmStatsHeaderLayout.NUM_DESC_OFFSET));
        long idOffset = Integer.toUnsignedLong(header.get(U32, KvmStatsHeaderLayout.ID_OFFSET_OFFSET));
        long descOffset = Integer.toUnsignedLong(header.get(U32, KvmStatsHeaderLayout.DESC_OFFSET_OFFSET));
        checkHeader(nameSize, numDesc);
        return Math.max(Math.max(KvmStatsHeaderLayout.SIZE, idOffset + nameSize),
            descOffset + numDesc * KvmStatsDescLayout.strideFor((int) nameSize));
    }

    /** Parses header, id and descriptors from {@code file}, the first {@link #prefixBytes} bytes or more. */
    public static KvmStatsSchema parse(MemorySegment file) {
        if (file.byteSize() < KvmStatsHeaderLayout.SIZE) {
            throw new IllegalArgumentException("KVM stats: " + file.byteSize() + " bytes is shorter than the header ("
                + KvmStatsHeaderLayout.SIZE + ")");
        }
        long need = prefixBytes(file);
        if (file.byteSize() < need) {
            throw new IllegalArgumentException("KVM stats: header needs " + need + " bytes of descriptors, got "
                + file.byteSize());
        }
        int nameSize = file.get(U32, KvmStatsHeaderLayout.NAME_SIZE_OFFSET);
        int numDesc = file.get(U32, KvmStatsHeaderLayout.NUM_DESC_OFFSET);
        long idOffset = Integer.toUnsignedLong(file.get(U32, KvmStatsHeaderLayout.ID_OFFSET_OFFSET));
        long descOffset = Integer.toUnsignedLong(file.get(U32, KvmStatsHeaderLayout.DESC_OFFSET_OFFSET));
        long dataOffset = Integer.toUnsignedLong(file.get(U32, KvmStatsHeaderLayout.DATA_OFFSET_OFFSET));
        String id = string(file, idOffset, nameSize);
        long stride = KvmStatsDescLayout.strideFor(nameSize);
        List<Descriptor> list = new ArrayList<>(numDesc);
        for (int i = 0; i < numDesc; i++) {
            long at = descOffset + i * stride;
            Descriptor d = new Descriptor(string(file, at + KvmStatsDescLayout.NAME_OFFSET, nameSize),
                file.get(U32, at + KvmStatsDescLayout.FLAGS_OFFSET),
                file.get(U16, at + KvmStatsDescLayout.EXPONENT_OFFSET),
                Short.toUnsignedInt(file.get(U16, at + KvmStatsDescLayout.SIZE_OFFSET)),
                file.get(U32, at + KvmStatsDescLayout.OFFSET_OFFSET),
                file.get(U32, at + KvmStatsDescLayout.BUCKET_SIZE_OFFSET));
            if (d.name().isEmpty() || d.size() == 0 || d.offset() < 0 || (d.offset() & 7) != 0
                || d.offset() + 8L * d.size() > MAX_DATA_BYTES) {
                throw new IllegalArgumentException("KVM stats " + id + ": descriptor " + i + " '" + d.name()
                    + "' is malformed: size=" + d.size() + ", offset=" + d.offset());
            }
            list.add(d);
        }
        return new KvmStatsSchema(id, list, dataOffset);
    }

    private static void checkHeader(long nameSize, long numDesc) {
        if (nameSize == 0 || nameSize > MAX_NAME_SIZE || numDesc > MAX_DESCRIPTORS) {
            throw new IllegalArgumentException("KVM stats: implausible header: name_size=" + nameSize + ", num_desc="
                + numDesc);
        }
    }

    private static String string(MemorySegment file, long at, int size) {
        byte[] bytes = file.asSlice(at, size).toArray(ValueLayout.JAVA_BYTE);
        int len = 0;
        while (len < bytes.length && bytes[len] != 0) {
            len++;
        }
        return new String(bytes, 0, len, StandardCharsets.US_ASCII);
    }

    /** Decodes the data block (read from {@link #dataOffset()}, {@link #dataBytes()} long) into {@code out}. */
    public void decode(MemorySegment data, long[] out) {
        for (int i = 0; i < names.length; i++) {
            long at = offsets[i];
            if (histogram[i]) {
                long sum = 0;
                for (int b = 0; b < sizes[i]; b++) {
                    sum += data.get(U64, at + 8L * b);
                }
                out[i] = sum;
            } else {
                out[i] = data.get(U64, at);
            }
        }
    }

    /** "kvm-PID" for a VM, "kvm-PID/vcpu-N" for a vCPU. */
    public String id() {
        return id;
    }

    public List<Descriptor> descriptors() {
        return descriptors;
    }

    public int count() {
        return names.length;
    }

    public String name(int i) {
        return names[i];
    }

    public boolean cumulative(int i) {
        return cumulative[i];
    }

    /** The index of {@code name}, or -1. */
    public int indexOf(String name) {
        Integer i = indexByName.get(name);
        return i == null ? -1 : i;
    }

    public long dataOffset() {
        return dataOffset;
    }

    public int dataBytes() {
        return dataBytes;
    }
}
