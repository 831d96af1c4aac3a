package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct ifreq} ({@code <net/if.h>}) as the tun ioctls (TUNSETIFF, TUNSETQUEUE, TUNGETIFF) and the interface
 * ioctls (SIOCGIFMTU, SIOCSIFMTU) use it: a NUL-terminated name, then a 24-byte union of which only the flags (a short)
 * and the MTU (an int) are read here.
 *
 * <pre>
 *   0                16           18           20                 40
 *   +----------------+------------+------------+------------------+
 *   | ifr_name[16]   | ifr_flags  |            | (rest of union)  |
 *   |                | ifr_mtu (int, same offset)                 |
 *   +----------------+------------+------------+------------------+
 * </pre>
 */
public final class IfReqLayout {
    /** IFNAMSIZ: the name with its NUL. */
    public static final int NAME_BYTES = 16;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        MemoryLayout.sequenceLayout(NAME_BYTES, JAVA_BYTE).withName("ifr_name"),
        MemoryLayout.unionLayout(
            JAVA_SHORT.withName("ifr_flags"),
            JAVA_INT.withName("ifr_mtu"),
            MemoryLayout.sequenceLayout(24, JAVA_BYTE).withName("ifr_pad")).withName("ifr_ifru")).withName("ifreq");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long IFR_NAME_OFFSET = Layouts.offset(LAYOUT, "ifr_name");
    public static final long IFR_FLAGS_OFFSET = Layouts.offset(LAYOUT, "ifr_ifru", "ifr_flags");
    public static final long IFR_MTU_OFFSET = Layouts.offset(LAYOUT, "ifr_ifru", "ifr_mtu");

    private IfReqLayout() {
    }
}
