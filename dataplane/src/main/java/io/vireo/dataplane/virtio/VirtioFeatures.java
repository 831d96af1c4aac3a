package io.vireo.dataplane.virtio;

/** Device-independent feature bits (virtio 1.2 §6) and device status bits (§2.1). */
public final class VirtioFeatures {
    // ---- reserved (device-independent) feature bits, §6
    /** Legacy only: interrupt even when the avail ring is empty. */
    public static final long NOTIFY_ON_EMPTY = 1L << 24;
    /** Legacy only: no framing assumptions on descriptor layout. */
    public static final long ANY_LAYOUT = 1L << 27;
    public static final long RING_INDIRECT_DESC = 1L << 28;
    public static final long RING_EVENT_IDX = 1L << 29;
    /** Legacy only: used by legacy drivers to say "bad feature". */
    public static final long BAD_FEATURE = 1L << 30;
    public static final long VERSION_1 = 1L << 32;
    public static final long ACCESS_PLATFORM = 1L << 33;
    public static final long RING_PACKED = 1L << 34;
    public static final long IN_ORDER = 1L << 35;
    public static final long ORDER_PLATFORM = 1L << 36;
    public static final long SR_IOV = 1L << 37;
    public static final long NOTIFICATION_DATA = 1L << 38;
    public static final long NOTIF_CONFIG_DATA = 1L << 39;
    public static final long RING_RESET = 1L << 40;

    // ---- device status bits, §2.1
    public static final int ACKNOWLEDGE = 1;
    public static final int DRIVER = 2;
    public static final int DRIVER_OK = 4;
    public static final int FEATURES_OK = 8;
    public static final int DEVICE_NEEDS_RESET = 64;
    public static final int FAILED = 128;

    private VirtioFeatures() {
    }

    public static boolean has(long features, long bit) {
        return (features & bit) != 0;
    }
}
