package io.vireo.vmm.kvm;

import io.vireo.sys.Kvm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stats file format parsed from a synthetic file laid out as KVM lays it out (name_size 48, as here). */
class KvmStatsSchemaTest {
    private static final int NAME_SIZE = 48;
    private static final int HEADER = 24;
    private static final int STRIDE = 16 + NAME_SIZE;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private record Stat(String name, int flags, int exponent, int size, int offset) {
    }

    private static final List<Stat> STATS = List.of(
        new Stat("exits", Kvm.KVM_STATS_TYPE_CUMULATIVE | Kvm.KVM_STATS_UNIT_NONE, 0, 1, 8),
        new Stat("pages_4k", Kvm.KVM_STATS_TYPE_INSTANT, 0, 1, 0),
        new Stat("max_mmu_rmap_size", Kvm.KVM_STATS_TYPE_PEAK, 0, 1, 16),
        new Stat("halt_wait_ns", Kvm.KVM_STATS_TYPE_CUMULATIVE | Kvm.KVM_STATS_UNIT_SECONDS, -9, 1, 24),
        new Stat("halt_wait_hist", Kvm.KVM_STATS_TYPE_LOG_HIST | Kvm.KVM_STATS_UNIT_SECONDS, -9, 4, 32));

    /** header | id | descriptors | data (5 + 3 histogram buckets of u64). */
    private static MemorySegment file(long... data) {
        int idOffset = HEADER;
        int descOffset = idOffset + NAME_SIZE;
        int dataOffset = descOffset + STATS.size() * STRIDE;
        MemorySegment f = MemorySegment.ofArray(new byte[dataOffset + 8 * data.length]);
        f.set(U32, 0, 0);
        f.set(U32, 4, NAME_SIZE);
        f.set(U32, 8, STATS.size());
        f.set(U32, 12, idOffset);
        f.set(U32, 16, descOffset);
        f.set(U32, 20, dataOffset);
        putName(f, idOffset, "kvm-1234/vcpu-0");
        for (int i = 0; i < STATS.size(); i++) {
            Stat s = STATS.get(i);
            long at = descOffset + (long) i * STRIDE;
            f.set(U32, at, s.flags());
            f.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 4, (short) s.exponent());
            f.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 6, (short) s.size());
            f.set(U32, at + 8, s.offset());
            f.set(U32, at + 12, 0);
            putName(f, at + 16, s.name());
        }
        for (int i = 0; i < data.length; i++) {
            f.set(U64, dataOffset + 8L * i, data[i]);
        }
        return f;
    }

    private static void putName(MemorySegment f, long at, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, f, at, b.length);
    }

    private static MemorySegment dataOf(KvmStatsSchema schema, MemorySegment file) {
        return file.asSlice(schema.dataOffset(), schema.dataBytes());
    }

    @Test
    void shouldParseIdNamesTypesUnitsAndOffsetsWhenFileIsWellFormed() {
        KvmStatsSchema s = KvmStatsSchema.parse(file(new long[8]));
        assertEquals("kvm-1234/vcpu-0", s.id());
        assertEquals(5, s.count());
        assertEquals(List.of("exits", "pages_4k", "max_mmu_rmap_size", "halt_wait_ns", "halt_wait_hist"),
            s.descriptors().stream().map(KvmStatsSchema.Descriptor::name).toList());
        KvmStatsSchema.Descriptor hist = s.descriptors().get(4);
        assertEquals("log_hist", hist.typeName());
        assertEquals("seconds", hist.unitName());
        assertEquals(-9, hist.exponent());
        assertEquals(4, hist.size());
        assertEquals(32, hist.offset());
        assertTrue(hist.histogram());
        assertTrue(hist.cumulative());
        assertEquals("instant", s.descriptors().get(1).typeName());
        assertFalse(s.descriptors().get(1).cumulative());
        assertEquals("peak", s.descriptors().get(2).typeName());
        assertEquals(HEADER + NAME_SIZE + 5 * STRIDE, s.dataOffset());
        assertEquals(64, s.dataBytes(), "the last histogram ends at 32 + 4 * 8");
        assertEquals(3, s.indexOf("halt_wait_ns"));
        assertEquals(-1, s.indexOf("nope"));
    }

    @Test
    void shouldSumHistogramBucketsAndReadCountersAtTheirOffsets() {
        MemorySegment f = file(4096, 77, 9, 123_000, 1, 2, 3, 4);
        KvmStatsSchema s = KvmStatsSchema.parse(f);
        long[] v = new long[s.count()];
        s.decode(dataOf(s, f), v);
        assertArrayEquals(new long[] {77, 4096, 9, 123_000, 10}, v);
    }

    @Test
    void shouldSubtractCountersButKeepInstantAndPeakValuesWhenTakingAWindow() {
        MemorySegment f = file(new long[8]);
        KvmStatsSchema s = KvmStatsSchema.parse(f);
        KvmStatsSnapshot begin = new KvmStatsSnapshot(s, new long[] {100, 500, 7, 1000, 3});
        KvmStatsSnapshot end = new KvmStatsSnapshot(s, new long[] {160, 450, 9, 4000, 8});
        KvmStatsSnapshot d = end.minus(begin);
        assertEquals(Map.of("exits", 60L, "pages_4k", 450L, "max_mmu_rmap_size", 9L, "halt_wait_ns", 3000L,
            "halt_wait_hist", 5L), d.asMap());
        assertEquals(60, d.get("exits"));
        assertThrows(IllegalArgumentException.class, () -> d.get("io_exits"));
    }

    @Test
    void shouldNeedOnlyHeaderIdAndDescriptorsToParse() {
        MemorySegment f = file(new long[8]);
        long prefix = KvmStatsSchema.prefixBytes(f);
        assertEquals(HEADER + NAME_SIZE + 5 * STRIDE, prefix);
        assertEquals(5, KvmStatsSchema.parse(f.asSlice(0, prefix)).count());
    }

    @Test
    void shouldRefuseTruncatedDescriptors() {
        MemorySegment f = file(new long[8]);
        String m = assertThrows(IllegalArgumentException.class,
            () -> KvmStatsSchema.parse(f.asSlice(0, HEADER + NAME_SIZE + 2 * STRIDE))).getMessage();
        assertTrue(m.contains("needs " + (HEADER + NAME_SIZE + 5 * STRIDE) + " bytes"), m);
    }

    @Test
    void shouldRefuseImplausibleHeader() {
        MemorySegment f = file(new long[8]);
        f.set(U32, 4, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KvmStatsSchema.parse(f)).getMessage()
            .contains("name_size=0"));
        f.set(U32, 4, NAME_SIZE);
        f.set(U32, 8, 1 << 20);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KvmStatsSchema.parse(f)).getMessage()
            .contains("num_desc=1048576"));
    }

    @Test
    void shouldRefuseMisalignedOrEmptyDescriptor() {
        MemorySegment f = file(new long[8]);
        long second = HEADER + NAME_SIZE + STRIDE;
        f.set(U32, second + 8, 12);
        String m = assertThrows(IllegalArgumentException.class, () -> KvmStatsSchema.parse(f)).getMessage();
        assertTrue(m.contains("'pages_4k'") && m.contains("offset=12"), m);
        f.set(U32, second + 8, 0);
        f.set(ValueLayout.JAVA_SHORT_UNALIGNED, second + 6, (short) 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KvmStatsSchema.parse(f)).getMessage()
            .contains("size=0"));
    }

    @Test
    void shouldRefuseRepeatedName() {
        MemorySegment f = file(new long[8]);
        putName(f, HEADER + NAME_SIZE + STRIDE + 16, "exits\0\0\0");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KvmStatsSchema.parse(f)).getMessage()
            .contains("repeats the name exits"));
    }
}
