package io.vireo.dataplane.virtio;

/** A device-specific configuration kept as bytes, read the way every transport reads it (virtio 1.2 §4.1.4.6). */
public final class ConfigBytes {
    private ConfigBytes() {
    }

    /**
     * Little-endian assembly of up to 4 bytes at {@code offset}; bytes outside the structure read as 0 (never throws
     * on guest input).
     */
    public static int read(byte[] config, int offset, int size) {
        int v = 0;
        for (int k = 0; k < Math.min(size, 4); k++) {
            int at = offset + k;
            if (at >= 0 && at < config.length) {
                v |= (config[at] & 0xff) << (8 * k);
            }
        }
        return v;
    }
}
