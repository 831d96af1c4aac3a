package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.queue.DescriptorChain;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One virtio-blk request (virtio 1.2 §5.2.6), parsed from a popped chain: a flyweight, refilled by {@link #parse},
 * so parsing allocates nothing.
 *
 * <pre>
 *   device-readable                         device-writable
 *   +----------+----------+-------------+   +----------------------+--------+
 *   | type le32| rsvd le32| sector le64 |   | data (IN, GET_ID)    | status |
 *   +----------+----------+-------------+   +----------------------+--------+
 *   0          4          8            16   (OUT: data is readable, after the header)  last writable byte
 * </pre>
 *
 * <p>No framing is assumed (§2.7.4.1): the header is the first 16 readable bytes wherever the descriptors split them,
 * the status is the last writable byte, and the data is what lies between. The header is copied out once, so a guest
 * rewriting it during the I/O changes nothing. {@link #parse} is pure: it reads the chain and writes nothing to the
 * guest; the device does the I/O and writes the status.
 */
public final class BlkRequest {
    public static final int SECTOR_SIZE = 512;
    public static final int SECTOR_SHIFT = 9;
    /** Length of the header: type, reserved, sector. */
    public static final int HEADER_SIZE = 16;
    /** VIRTIO_BLK_ID_BYTES: the device id string of GET_ID, NUL-padded, no terminator when exactly this long. */
    public static final int ID_BYTES = 20;

    // Request types, §5.2.6.
    public static final int T_IN = 0;
    public static final int T_OUT = 1;
    public static final int T_FLUSH = 4;
    public static final int T_GET_ID = 8;
    public static final int T_DISCARD = 11;
    public static final int T_WRITE_ZEROES = 13;

    /** Size of one {@code virtio_blk_discard_write_zeroes} segment: le64 sector, le32 num_sectors, le32 flags. */
    public static final int RANGE_SEGMENT_SIZE = 16;
    /** The unmap flag of a WRITE_ZEROES segment (reserved in DISCARD). */
    public static final int RANGE_FLAG_UNMAP = 1;

    // Which optional request types the driver negotiated: the flags argument of parse.
    public static final int NEG_FLUSH = 1;
    public static final int NEG_DISCARD = 2;
    public static final int NEG_WRITE_ZEROES = 4;

    // Status values, §5.2.6.
    public static final int S_OK = 0;
    public static final int S_IOERR = 1;
    public static final int S_UNSUPP = 2;

    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment header = MemorySegment.ofArray(new byte[HEADER_SIZE]);

    private int type;
    private long sector;
    private long dataLen;
    private int dataIndex;
    private long dataOffset;
    private int statusIndex;
    private long statusOffset;
    private final MemorySegment range = MemorySegment.ofArray(new byte[RANGE_SEGMENT_SIZE]);
    private long rangeSectors;
    private int rangeFlags;

    /**
     * Parses {@code chain} (popped without error). Returns {@link BlkRequestError#OK} or the first rule broken; every
     * code but {@link BlkRequestError#NO_STATUS} leaves {@link #statusIndex()}/{@link #statusOffset()} valid.
     *
     * @param capacitySectors the disk's capacity in 512-byte sectors
     * @param readOnly        VIRTIO_BLK_F_RO is offered
     * @param negotiated      {@link #NEG_FLUSH}, {@link #NEG_DISCARD}, {@link #NEG_WRITE_ZEROES}: the optional
     *                        types the driver negotiated
     * @param maxRangeSectors the largest num_sectors of one DISCARD or WRITE_ZEROES segment (config space)
     */
    public BlkRequestError parse(DescriptorChain chain, long capacitySectors, boolean readOnly, int negotiated,
                     long maxRangeSectors) {
        type = -1;
        sector = 0;
        dataLen = 0;
        dataIndex = chain.readableCount();
        dataOffset = 0;
        statusIndex = -1;
        statusOffset = 0;
        rangeSectors = 0;
        rangeFlags = 0;

        // §5.2.6: the status is the last device-writable byte; skip zero-length descriptors at the end.
        for (int i = chain.count() - 1; i >= chain.readableCount(); i--) {
            long len = chain.len(i);
            if (len > 0) {
                statusIndex = i;
                statusOffset = len - 1;
                break;
            }
        }
        if (statusIndex < 0) {
            return BlkRequestError.NO_STATUS;
        }
        // §5.2.6: the header is device-readable and comes first; gather it whatever the descriptor split (§2.7.4.1).
        if (chain.totalReadable() < HEADER_SIZE) {
            return BlkRequestError.HEADER_TOO_SHORT;
        }
        if (chain.len(0) >= HEADER_SIZE) {
            // The usual layout: the whole header in the first descriptor; read it in place, no copy.
            type = chain.getIntLE(0, 0);
            sector = chain.getLongLE(0, 8);
        } else {
            chain.gatherReadable(0, header, 0, HEADER_SIZE);
            type = header.get(LE_INT, 0);
            sector = header.get(LE_LONG, 8);
        }
        long readableData = chain.totalReadable() - HEADER_SIZE;
        long writableData = chain.totalWritable() - 1;

        switch (type) {
            case T_IN -> {
                if (readableData != 0) {
                    return BlkRequestError.READABLE_DATA_IN_DEVICE_WRITE;
                }
                dataLen = writableData;
                return checkRange(capacitySectors);
            }
            case T_OUT -> {
                // §5.2.6.2: IOERR for any write when VIRTIO_BLK_F_RO is offered, and no data written.
                if (readOnly) {
                    return BlkRequestError.WRITE_TO_READ_ONLY;
                }
                if (writableData != 0) {
                    return BlkRequestError.WRITABLE_DATA_IN_WRITE;
                }
                dataLen = readableData;
                locateReadableData(chain);
                return checkRange(capacitySectors);
            }
            case T_FLUSH -> {
                // §5.2.6.1 asks the driver for sector 0 and no data; the device has nothing to check beyond that.
                return (negotiated & NEG_FLUSH) != 0 ? BlkRequestError.OK : BlkRequestError.FLUSH_NOT_NEGOTIATED;
            }
            case T_DISCARD, T_WRITE_ZEROES -> {
                boolean discard = type == T_DISCARD;
                if ((negotiated & (discard ? NEG_DISCARD : NEG_WRITE_ZEROES)) == 0) {
                    return BlkRequestError.UNSUPPORTED_TYPE;
                }
                if (writableData != 0) {
                    return BlkRequestError.WRITABLE_DATA_IN_WRITE;
                }
                // §5.2.6.2: the data is one or more segments; we advertise max_*_seg = 1.
                if (readableData != RANGE_SEGMENT_SIZE) {
                    return BlkRequestError.BAD_RANGE_SEGMENTS;
                }
                chain.gatherReadable(HEADER_SIZE, range, 0, RANGE_SEGMENT_SIZE);
                sector = range.get(LE_LONG, 0);
                rangeSectors = range.get(LE_INT, 8) & 0xffffffffL;
                rangeFlags = range.get(LE_INT, 12);
                // §5.2.6.2: unmap is reserved for DISCARD, and unknown flags make the request unsupported.
                if ((rangeFlags & ~(discard ? 0 : RANGE_FLAG_UNMAP)) != 0) {
                    return BlkRequestError.UNSUPPORTED_RANGE_FLAGS;
                }
                if (rangeSectors > maxRangeSectors) {
                    return BlkRequestError.RANGE_TOO_LARGE;
                }
                dataLen = rangeSectors << SECTOR_SHIFT;
                return checkRange(capacitySectors);
            }
            case T_GET_ID -> {
                if (readableData != 0) {
                    return BlkRequestError.READABLE_DATA_IN_DEVICE_WRITE;
                }
                // A buffer shorter than 20 bytes gets the first bytes of the id (as QEMU does).
                dataLen = Math.min(writableData, ID_BYTES);
                return BlkRequestError.OK;
            }
            default -> {
                return BlkRequestError.UNSUPPORTED_TYPE;
            }
        }
    }

    /** §5.2.6.1: whole sectors, and [sector, sector + len/512) inside [0, capacity); sector is a u64. */
    private BlkRequestError checkRange(long capacitySectors) {
        if ((dataLen & (SECTOR_SIZE - 1)) != 0) {
            return BlkRequestError.DATA_NOT_SECTOR_MULTIPLE;
        }
        // Overflow-safe: sector <= capacity (unsigned) first, then compare the count with what is left.
        if (Long.compareUnsigned(sector, capacitySectors) > 0
            || (dataLen >>> SECTOR_SHIFT) > capacitySectors - sector) {
            return BlkRequestError.SECTOR_OUT_OF_RANGE;
        }
        return BlkRequestError.OK;
    }

    /** The OUT data begins at readable byte 16, in whichever descriptor holds it. */
    private void locateReadableData(DescriptorChain chain) {
        long skip = HEADER_SIZE;
        for (int i = 0; i < chain.readableCount(); i++) {
            long len = chain.len(i);
            if (skip < len) {
                dataIndex = i;
                dataOffset = skip;
                return;
            }
            skip -= len;
        }
        dataIndex = chain.readableCount();
        dataOffset = 0;
    }

    /** DISCARD / WRITE_ZEROES: the segment's flags (bit 0 = unmap). */
    public int rangeFlags() {
        return rangeFlags;
    }

    /** VIRTIO_BLK_T_*, or -1 when the header could not be read. */
    public int type() {
        return type;
    }

    /** The header's sector (a u64, in 512-byte units whatever blk_size says). */
    public long sector() {
        return sector;
    }

    /** Byte offset on the disk of the first data byte (IN, OUT) or of the range (DISCARD, WRITE_ZEROES). */
    public long diskOffset() {
        return sector << SECTOR_SHIFT;
    }

    /**
     * Data bytes: for IN and OUT the transfer length; for GET_ID the id bytes to write (at most 20); 0 for FLUSH; the
     * range's length in bytes for DISCARD and WRITE_ZEROES.
     */
    public long dataLen() {
        return dataLen;
    }

    /** Descriptor holding the first data byte: the first writable one for IN/GET_ID, the OUT data's for OUT. */
    public int dataIndex() {
        return dataIndex;
    }

    /** Offset of the first data byte in descriptor {@link #dataIndex()}. */
    public long dataOffset() {
        return dataOffset;
    }

    /** Descriptor holding the status byte, -1 when there is none. */
    public int statusIndex() {
        return statusIndex;
    }

    public long statusOffset() {
        return statusOffset;
    }
}
