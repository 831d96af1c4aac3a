package io.vireo.dataplane.stats;

/**
 * The request trace file ({@code --trace}): a header, then fixed-size records in a ring (wrap mode) or a row (stop
 * mode). Little-endian, as the host writes it.
 *
 * <pre>
 * header (64 bytes)                         record (40 bytes), one per completed request
 *  0 magic "VIREOTRC"  long                  0 time, ns (System.nanoTime at publication)  long
 *  8 version           int                   8 sector (first 512-byte sector)              long
 * 12 record length     int                  16 service time, ns (pop to publication)      long
 * 16 capacity, records long                 24 data length, bytes                         int
 * 24 mode: 0 wrap, 1 stop  int              28 device index                               short
 * 28 reserved          int                  30 queue index                                short
 * 32 claimed: requests offered (long, atomic add)   32 op: virtio-blk type, 0xff malformed chain  byte
 * 40 dropped: not recorded (stop mode, full)  long  33 status: VIRTIO_BLK_S_*, 0xff none         byte
 * 48 start, epoch ms   long                 34 reserved (6 bytes)
 * 56 start, System.nanoTime  long
 * </pre>
 *
 * Record {@code n} (0-based, in claim order) lives at {@code HEADER + (n % capacity) * RECORD}.
 */
public final class TraceLayout {
    public static final long MAGIC = 0x4352544f45524956L; // "VIREOTRC" little-endian
    public static final int VERSION = 1;
    public static final int HEADER = 64;
    public static final int RECORD = 40;

    public static final int VERSION_OFFSET = 8;
    public static final int RECORD_LENGTH_OFFSET = 12;
    public static final int CAPACITY_OFFSET = 16;
    public static final int MODE_OFFSET = 24;
    public static final int CLAIMED_OFFSET = 32;
    public static final int DROPPED_OFFSET = 40;
    public static final int START_EPOCH_MS_OFFSET = 48;
    public static final int START_NANOS_OFFSET = 56;

    public static final int TIME_OFFSET = 0;
    public static final int SECTOR_OFFSET = 8;
    public static final int SERVICE_OFFSET = 16;
    public static final int LENGTH_OFFSET = 24;
    public static final int DEVICE_OFFSET = 28;
    public static final int QUEUE_OFFSET = 30;
    public static final int OP_OFFSET = 32;
    public static final int STATUS_OFFSET = 33;

    public static final int MODE_WRAP = 0;
    public static final int MODE_STOP = 1;
    /** Op of a chain the queue refused before it could be parsed. */
    public static final int OP_MALFORMED = 0xff;
    /** Status of a request completed without a status byte (used length 0). */
    public static final int STATUS_NONE = 0xff;

    private TraceLayout() {
    }

    /** virtio-blk request type names (§5.2.6), as the trace and {@code vireo trace} print them. */
    public static String opName(int op) {
        return switch (op) {
            case 0 -> "read";
            case 1 -> "write";
            case 4 -> "flush";
            case 8 -> "get_id";
            case 11 -> "discard";
            case 13 -> "write_zeroes";
            case OP_MALFORMED -> "malformed";
            default -> "type" + op;
        };
    }

    public static String statusName(int status) {
        return switch (status) {
            case 0 -> "ok";
            case 1 -> "ioerr";
            case 2 -> "unsupp";
            case STATUS_NONE -> "none";
            default -> "status" + status;
        };
    }
}
