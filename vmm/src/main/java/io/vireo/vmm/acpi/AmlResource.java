package io.vireo.vmm.acpi;

/**
 * Resource descriptors for {@code _CRS} (ACPI 6.5, 6.4 "Resource Data Types for ACPI") and
 * {@link #template}, the {@code ResourceTemplate() {...}} buffer that holds them. Little-endian throughout.
 *
 * <pre>
 * small IO (6.4.2.5), 8 bytes           Word/DWord/QWord Address Space (6.4.3.5.1-3), 16/26/46 bytes
 * +---+---------------------+           +----+-------------------------------------------+
 * | 0 | 0x47                |           |  0 | 0x88 Word / 0x87 DWord / 0x8A QWord       |
 * | 1 | info: bit0 decode16 |           |  1 | length u16 (bytes after this field)       |
 * | 2 | min base u16        |           |  3 | resource type: 0 memory, 1 I/O, 2 bus     |
 * | 4 | max base u16        |           |  4 | general flags: MAF(3) MIF(2) DEC(1) CP(0) |
 * | 6 | alignment u8        |           |  5 | type-specific flags                       |
 * | 7 | length u8           |           |  6 | granularity, min, max, translation,       |
 * +---+---------------------+           |    | length: 5 fields of 2, 4 or 8 bytes       |
 *                                       +----+-------------------------------------------+
 * Memory32Fixed (6.4.3.4), 12 bytes     End Tag (6.4.2.9), 2 bytes
 * +---+-------------------+             +---+---------------------------+
 * | 0 | 0x86, length 9    |             | 0 | 0x79                      |
 * | 3 | info: bit0 RW     |             | 1 | checksum (0: not checked) |
 * | 4 | base u32          |             +---+---------------------------+
 * | 8 | length u32        |
 * +---+-------------------+
 * </pre>
 */
public final class AmlResource {
    public static final int IO_TAG = 0x47;
    public static final int END_TAG = 0x79;
    public static final int MEMORY32_FIXED_TAG = 0x86;
    public static final int DWORD_ADDRESS_TAG = 0x87;
    public static final int WORD_ADDRESS_TAG = 0x88;
    public static final int QWORD_ADDRESS_TAG = 0x8a;

    public static final int TYPE_MEMORY = 0;
    public static final int TYPE_IO = 1;
    public static final int TYPE_BUS_NUMBER = 2;

    /** General flags of a bridge window: ResourceProducer, PosDecode, MinFixed, MaxFixed. */
    public static final int GENERAL_PRODUCER_FIXED = 1 << 3 | 1 << 2;
    /** I/O type-specific flags: _RNG = 3, both ISA and non-ISA ranges (EntireRange). */
    public static final int IO_ENTIRE_RANGE = 0x3;
    /** Memory type-specific flags: _RW bit 0 (read/write); _MEM bits 2:1, 0 non-cacheable, 1 cacheable. */
    public static final int MEM_READ_WRITE = 0x1;
    public static final int MEM_CACHEABLE = 0x2;

    private AmlResource() {
    }

    /** {@code ResourceTemplate() {descriptors}}: a Buffer of the descriptors and an End Tag. */
    public static byte[] template(byte[]... descriptors) {
        return Aml.buffer(Aml.concat(Aml.concat(descriptors), new byte[] {END_TAG, 0}));
    }

    /** {@code IO(Decode16, min, max, alignment, length)}: fixed ports a device decodes. */
    public static byte[] io(int min, int max, int alignment, int length) {
        check(min, 0xffff, "IO min");
        check(max, 0xffff, "IO max");
        check(alignment, 0xff, "IO alignment");
        check(length, 0xff, "IO length");
        return new byte[] {IO_TAG, 1, (byte) min, (byte) (min >>> 8), (byte) max, (byte) (max >>> 8),
            (byte) alignment, (byte) length};
    }

    /** {@code WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, count)}. */
    public static byte[] wordBusNumber(int min, int max) {
        return word(TYPE_BUS_NUMBER, 0, min, max);
    }

    /** {@code WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, len)}. */
    public static byte[] wordIo(int min, int max) {
        return word(TYPE_IO, IO_ENTIRE_RANGE, min, max);
    }

    /** {@code DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, ...)}. */
    public static byte[] dwordMemory(long min, long max) {
        check(min, 0xffff_ffffL, "DWordMemory min");
        check(max, 0xffff_ffffL, "DWordMemory max");
        return address(DWORD_ADDRESS_TAG, 4, TYPE_MEMORY, MEM_READ_WRITE, min, max);
    }

    /** {@code QWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite, ...)}. */
    public static byte[] qwordMemory(long min, long max) {
        return address(QWORD_ADDRESS_TAG, 8, TYPE_MEMORY, MEM_READ_WRITE | MEM_CACHEABLE, min, max);
    }

    /** {@code Memory32Fixed(ReadWrite, base, length)}. */
    public static byte[] memory32Fixed(long base, long length) {
        check(base, 0xffff_ffffL, "Memory32Fixed base");
        check(length, 0xffff_ffffL, "Memory32Fixed length");
        byte[] b = new byte[12];
        b[0] = (byte) MEMORY32_FIXED_TAG;
        b[1] = 9;
        b[3] = 1;
        put(b, 4, 4, base);
        put(b, 8, 4, length);
        return b;
    }

    private static byte[] word(int type, int typeFlags, int min, int max) {
        check(min, 0xffff, "Word min");
        check(max, 0xffff, "Word max");
        return address(WORD_ADDRESS_TAG, 2, type, typeFlags, min, max);
    }

    /** An address space descriptor with fields of {@code width} bytes; granularity and translation 0. */
    private static byte[] address(int tag, int width, int type, int typeFlags, long min, long max) {
        if (Long.compareUnsigned(min, max) > 0) {
            throw new IllegalArgumentException("address range min 0x" + Long.toHexString(min) + " > max 0x"
                + Long.toHexString(max));
        }
        int length = 3 + 5 * width;
        byte[] b = new byte[3 + length];
        b[0] = (byte) tag;
        put(b, 1, 2, length);
        b[3] = (byte) type;
        b[4] = (byte) GENERAL_PRODUCER_FIXED;
        b[5] = (byte) typeFlags;
        put(b, 6 + width, width, min);
        put(b, 6 + 2 * width, width, max);
        put(b, 6 + 4 * width, width, max - min + 1);
        return b;
    }

    private static void put(byte[] b, int at, int width, long v) {
        for (int i = 0; i < width; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    private static void check(long v, long max, String what) {
        if (v < 0 || v > max) {
            throw new IllegalArgumentException(what + " 0x" + Long.toHexString(v) + " exceeds 0x"
                + Long.toHexString(max));
        }
    }
}
