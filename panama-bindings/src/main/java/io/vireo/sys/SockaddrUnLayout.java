package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct sockaddr_un}: a family and a NUL-terminated path of at most {@code PATH_BYTES - 1} bytes.
 *
 * <pre>
 *   0          2                          110
 *   +----------+--------------------------+
 *   |sun_family| sun_path[108]            |
 *   +----------+--------------------------+
 * </pre>
 */
public final class SockaddrUnLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_SHORT.withName("sun_family"),
        MemoryLayout.sequenceLayout(108, JAVA_BYTE).withName("sun_path")).withName("sockaddr_un");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long SUN_FAMILY_OFFSET = Layouts.offset(LAYOUT, "sun_family");
    public static final long SUN_PATH_OFFSET = Layouts.offset(LAYOUT, "sun_path");

    private SockaddrUnLayout() {
    }
}
