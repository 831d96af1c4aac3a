package io.vireo.dataplane.memory;

/** An access outside guest RAM. Control-path only: the hot path uses {@link GuestMemory#contains}. */
public final class GuestMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GuestMemoryException(long gpa, long len) {
        super("guest range outside RAM: gpa=0x" + Long.toHexString(gpa) + ", len=" + len);
    }
}
