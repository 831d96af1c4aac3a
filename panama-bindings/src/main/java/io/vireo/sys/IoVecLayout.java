package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct iovec} ({@code <sys/uio.h>}), the scatter/gather entry of preadv/pwritev, io_uring READV/WRITEV and
 * IORING_REGISTER_BUFFERS. The base pointer is held as a 64-bit address:
 *
 * <pre>
 *   0                8                16
 *   +----------------+----------------+
 *   | iov_base       | iov_len        |
 *   +----------------+----------------+
 * </pre>
 */
public final class IoVecLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_LONG.withName("iov_base"),
        JAVA_LONG.withName("iov_len")).withName("iovec");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long IOV_BASE_OFFSET = Layouts.offset(LAYOUT, "iov_base");
    public static final long IOV_LEN_OFFSET = Layouts.offset(LAYOUT, "iov_len");

    private IoVecLayout() {
    }

    /** @return the host address of entry {@code index} of an iovec array */
    public static long base(final MemorySegment iovecs, final int index) {
        return iovecs.get(JAVA_LONG, index * SIZE + IOV_BASE_OFFSET);
    }

    /** @return the length of entry {@code index} of an iovec array */
    public static long length(final MemorySegment iovecs, final int index) {
        return iovecs.get(JAVA_LONG, index * SIZE + IOV_LEN_OFFSET);
    }

    /** Sets entry {@code index} of an iovec array to {@code [address, address + length)}. */
    public static void set(final MemorySegment iovecs, final int index, final long address, final long length) {
        iovecs.set(JAVA_LONG, index * SIZE + IOV_BASE_OFFSET, address);
        iovecs.set(JAVA_LONG, index * SIZE + IOV_LEN_OFFSET, length);
    }
}
