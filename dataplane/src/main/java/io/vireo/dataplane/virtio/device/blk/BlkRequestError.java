package io.vireo.dataplane.virtio.device.blk;

/**
 * Why {@link BlkRequest#parse} refused a request: plain {@code int}s, so the hot path neither allocates nor boxes.
 * Each code names the rule of virtio 1.2 it enforces and maps to the status byte the device writes
 * ({@link #status}); {@link #NO_STATUS} has none and is completed with used length 0.
 */
public final class BlkRequestError {
    public static final int OK = 0;
    /** §5.2.6: the request has no device-writable byte to hold the status; complete it with used length 0. */
    public static final int NO_STATUS = 1;
    /** §5.2.6: fewer than 16 device-readable bytes, so no complete header (type, reserved, sector). */
    public static final int HEADER_TOO_SHORT = 2;
    /** §5.2.6: a read (or GET_ID) carries device-readable data after the header; its data must be device-writable. */
    public static final int READABLE_DATA_IN_DEVICE_WRITE = 3;
    /** §5.2.6: a write carries device-writable bytes besides the status; its data must be device-readable. */
    public static final int WRITABLE_DATA_IN_WRITE = 4;
    /** §5.2.6.1: the data of a read or write is not a multiple of 512 bytes. */
    public static final int DATA_NOT_SECTOR_MULTIPLE = 5;
    /** §5.2.6.1: sector + length reaches beyond capacity (or overflows). */
    public static final int SECTOR_OUT_OF_RANGE = 6;
    /** §5.2.6.2: a write to a device that offers VIRTIO_BLK_F_RO. */
    public static final int WRITE_TO_READ_ONLY = 7;
    /** §5.2.6.2: VIRTIO_BLK_T_FLUSH without VIRTIO_BLK_F_FLUSH negotiated. */
    public static final int FLUSH_NOT_NEGOTIATED = 8;
    /** §5.2.6.2: a request type the device does not know or did not offer. */
    public static final int UNSUPPORTED_TYPE = 9;
    /** The backend failed the I/O (the errno is in the log line); not a guest fault. */
    public static final int BACKEND_ERROR = 10;
    /** §5.2.6.2 DISCARD/WRITE_ZEROES data not exactly one 16-byte segment (max_*_seg is 1). */
    public static final int BAD_RANGE_SEGMENTS = 11;
    /** §5.2.6.2 unmap in a DISCARD, or an unknown flag. */
    public static final int UNSUPPORTED_RANGE_FLAGS = 12;
    /** §5.2.6.2 num_sectors above max_discard_sectors / max_write_zeroes_sectors. */
    public static final int RANGE_TOO_LARGE = 13;

    static final int COUNT = 14;

    private static final String[] NAMES = {
        "OK", "NO_STATUS", "HEADER_TOO_SHORT", "READABLE_DATA_IN_DEVICE_WRITE", "WRITABLE_DATA_IN_WRITE",
        "DATA_NOT_SECTOR_MULTIPLE", "SECTOR_OUT_OF_RANGE", "WRITE_TO_READ_ONLY", "FLUSH_NOT_NEGOTIATED",
        "UNSUPPORTED_TYPE", "BACKEND_ERROR", "BAD_RANGE_SEGMENTS", "UNSUPPORTED_RANGE_FLAGS", "RANGE_TOO_LARGE",
    };
    private static final String[] WHY = {
        "request parsed",
        "§5.2.6 no device-writable byte for the status",
        "§5.2.6 fewer than 16 device-readable header bytes",
        "§5.2.6 device-readable data in a read/GET_ID request",
        "§5.2.6 device-writable data in a write request",
        "§5.2.6.1 data length not a multiple of 512",
        "§5.2.6.1 sector range beyond capacity",
        "§5.2.6.2 write to a read-only device",
        "§5.2.6.2 FLUSH without VIRTIO_BLK_F_FLUSH",
        "§5.2.6.2 unsupported request type",
        "backend I/O error",
        "§5.2.6.2 DISCARD/WRITE_ZEROES data is not exactly one 16-byte segment",
        "§5.2.6.2 unmap flag in DISCARD, or an unknown segment flag",
        "§5.2.6.2 num_sectors above the configured maximum",
    };

    private BlkRequestError() {
    }

    /** The status byte for {@code code}: OK, IOERR or UNSUPP; -1 for {@link #NO_STATUS} (nothing can be written). */
    public static int status(int code) {
        return switch (code) {
            case OK -> BlkRequest.S_OK;
            case NO_STATUS -> -1;
            case FLUSH_NOT_NEGOTIATED, UNSUPPORTED_TYPE, UNSUPPORTED_RANGE_FLAGS -> BlkRequest.S_UNSUPP;
            default -> BlkRequest.S_IOERR;
        };
    }

    public static String name(int code) {
        return code >= 0 && code < COUNT ? NAMES[code] : "UNKNOWN(" + code + ")";
    }

    /** Name and the rule it enforces, for a log line. */
    public static String describe(int code) {
        return code >= 0 && code < COUNT ? NAMES[code] + ": " + WHY[code] : name(code);
    }
}
