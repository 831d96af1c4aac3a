package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.stats.Counter;
import io.vireo.dataplane.virtio.queue.GuestFault;

/**
 * Why {@link BlkRequest#parse} refused a request: an enum constant (the hot path neither allocates nor boxes), each
 * carrying the status byte the device writes, the rule of virtio 1.2 it enforces and why, in one place.
 * {@link #NO_STATUS} has no status byte and is completed with used length 0.
 */
public enum BlkRequestError implements GuestFault, Counter {
    OK(BlkRequest.S_OK, "", "request parsed"),
    /** The request has no device-writable byte to hold the status; complete it with used length 0. */
    NO_STATUS(-1, "5.2.6", "no device-writable byte for the status"),
    /** Fewer than 16 device-readable bytes, so no complete header (type, reserved, sector). */
    HEADER_TOO_SHORT(BlkRequest.S_IOERR, "5.2.6", "fewer than 16 device-readable header bytes"),
    /** A read (or GET_ID) carries device-readable data after the header; its data must be device-writable. */
    READABLE_DATA_IN_DEVICE_WRITE(BlkRequest.S_IOERR, "5.2.6", "device-readable data in a read/GET_ID request"),
    /** A write carries device-writable bytes besides the status; its data must be device-readable. */
    WRITABLE_DATA_IN_WRITE(BlkRequest.S_IOERR, "5.2.6", "device-writable data in a write request"),
    /** The data of a read or write is not a multiple of 512 bytes. */
    DATA_NOT_SECTOR_MULTIPLE(BlkRequest.S_IOERR, "5.2.6.1", "data length not a multiple of 512"),
    /** Sector + length reaches beyond capacity (or overflows). */
    SECTOR_OUT_OF_RANGE(BlkRequest.S_IOERR, "5.2.6.1", "sector range beyond capacity"),
    /** A write to a device that offers VIRTIO_BLK_F_RO. */
    WRITE_TO_READ_ONLY(BlkRequest.S_IOERR, "5.2.6.2", "write to a read-only device"),
    /** VIRTIO_BLK_T_FLUSH without VIRTIO_BLK_F_FLUSH negotiated. */
    FLUSH_NOT_NEGOTIATED(BlkRequest.S_UNSUPP, "5.2.6.2", "FLUSH without VIRTIO_BLK_F_FLUSH"),
    /** A request type the device does not know or did not offer. */
    UNSUPPORTED_TYPE(BlkRequest.S_UNSUPP, "5.2.6.2", "unsupported request type"),
    /** The back end failed the I/O (the errno is in the log line); not a guest fault. */
    BACKEND_ERROR(BlkRequest.S_IOERR, "", "backend I/O error"),
    /** DISCARD/WRITE_ZEROES data not exactly one 16-byte segment (max_*_seg is 1). */
    BAD_RANGE_SEGMENTS(BlkRequest.S_IOERR, "5.2.6.2",
        "DISCARD/WRITE_ZEROES data is not exactly one 16-byte segment"),
    /** Unmap in a DISCARD, or an unknown flag. */
    UNSUPPORTED_RANGE_FLAGS(BlkRequest.S_UNSUPP, "5.2.6.2", "unmap flag in DISCARD, or an unknown segment flag"),
    /** num_sectors above max_discard_sectors / max_write_zeroes_sectors. */
    RANGE_TOO_LARGE(BlkRequest.S_IOERR, "5.2.6.2", "num_sectors above the configured maximum");

    private static final BlkRequestError[] VALUES = values();

    private final int status;
    private final String spec;
    private final String reason;

    BlkRequestError(int status, String section, String reason) {
        this.status = status;
        this.spec = GuestFault.spec(section);
        this.reason = reason;
    }

    /** How many codes there are (for arrays indexed by {@link #ordinal()}). */
    public static int count() {
        return VALUES.length;
    }

    /** The code of ordinal {@code i}. */
    public static BlkRequestError of(int ordinal) {
        return VALUES[ordinal];
    }

    /** The status byte the device writes: OK, IOERR or UNSUPP; -1 for {@link #NO_STATUS} (nothing can be written). */
    public int status() {
        return status;
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public String reason() {
        return reason;
    }
}
