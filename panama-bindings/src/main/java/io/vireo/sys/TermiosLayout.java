package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * glibc's {@code struct termios} on x86-64 (60 bytes; the kernel's is smaller, glibc translates):
 *
 * <pre>
 *   0       4       8       12      16   17          49  52       56       60
 *   +-------+-------+-------+-------+----+-----------+---+--------+--------+
 *   |iflag  |oflag  |cflag  |lflag  |line| cc[32]    |pad|ispeed  |ospeed  |
 *   +-------+-------+-------+-------+----+-----------+---+--------+--------+
 * </pre>
 */
public final class TermiosLayout {

    /** Number of control characters in {@code c_cc}. */
    public static final int NCCS = 32;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_INT.withName("c_iflag"),
        JAVA_INT.withName("c_oflag"),
        JAVA_INT.withName("c_cflag"),
        JAVA_INT.withName("c_lflag"),
        JAVA_BYTE.withName("c_line"),
        MemoryLayout.sequenceLayout(NCCS, JAVA_BYTE).withName("c_cc"),
        MemoryLayout.paddingLayout(3),
        JAVA_INT.withName("c_ispeed"),
        JAVA_INT.withName("c_ospeed")).withName("termios");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long C_IFLAG_OFFSET = Layouts.offset(LAYOUT, "c_iflag");
    public static final long C_OFLAG_OFFSET = Layouts.offset(LAYOUT, "c_oflag");
    public static final long C_CFLAG_OFFSET = Layouts.offset(LAYOUT, "c_cflag");
    public static final long C_LFLAG_OFFSET = Layouts.offset(LAYOUT, "c_lflag");
    public static final long C_LINE_OFFSET = Layouts.offset(LAYOUT, "c_line");
    public static final long C_CC_OFFSET = Layouts.offset(LAYOUT, "c_cc");
    public static final long C_ISPEED_OFFSET = Layouts.offset(LAYOUT, "c_ispeed");
    public static final long C_OSPEED_OFFSET = Layouts.offset(LAYOUT, "c_ospeed");

    private TermiosLayout() {
    }
}
