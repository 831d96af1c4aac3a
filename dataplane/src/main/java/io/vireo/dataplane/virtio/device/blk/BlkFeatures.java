package io.vireo.dataplane.virtio.device.blk;

/** virtio-blk feature bits (virtio 1.2 §5.2.3). */
public final class BlkFeatures {
    public static final long SIZE_MAX = 1L << 1;
    public static final long SEG_MAX = 1L << 2;
    public static final long GEOMETRY = 1L << 4;
    public static final long RO = 1L << 5;
    public static final long BLK_SIZE = 1L << 6;
    public static final long FLUSH = 1L << 9;
    public static final long TOPOLOGY = 1L << 10;
    public static final long CONFIG_WCE = 1L << 11;
    public static final long MQ = 1L << 12;
    public static final long DISCARD = 1L << 13;
    public static final long WRITE_ZEROES = 1L << 14;
    public static final long LIFETIME = 1L << 15;
    public static final long SECURE_ERASE = 1L << 16;

    private BlkFeatures() {
    }
}
