package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct cmsghdr}, the header of one ancillary message; its data (for SCM_RIGHTS: an array of int fds)
 * follows at {@link #SIZE} ({@code CMSG_DATA}), and {@code CMSG_SPACE(n)} is {@code SIZE + align8(n)}:
 *
 * <pre>
 *   0              8           12          16
 *   +--------------+-----------+-----------+---------
 *   | cmsg_len     | cmsg_level| cmsg_type | data ...
 *   +--------------+-----------+-----------+---------
 * </pre>
 */
public final class CmsgHdrLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_LONG.withName("cmsg_len"),
        JAVA_INT.withName("cmsg_level"),
        JAVA_INT.withName("cmsg_type")).withName("cmsghdr");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long CMSG_LEN_OFFSET = Layouts.offset(LAYOUT, "cmsg_len");
    public static final long CMSG_LEVEL_OFFSET = Layouts.offset(LAYOUT, "cmsg_level");
    public static final long CMSG_TYPE_OFFSET = Layouts.offset(LAYOUT, "cmsg_type");

    private CmsgHdrLayout() {
    }

    /** {@code CMSG_SPACE(dataBytes)}: room for one ancillary message with that much data. */
    public static long space(final long dataBytes) {
        return SIZE + ((dataBytes + 7) & ~7L);
    }
}
