package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct io_uring_cqe}, one completion (16 bytes without IORING_SETUP_CQE32):
 *
 * <pre>
 *   0                8        12       16
 *   +----------------+--------+--------+
 *   | user_data      | res    | flags  |
 *   +----------------+--------+--------+
 * </pre>
 *
 * {@code res} is the operation's result: bytes moved, 0, or {@code -errno}.
 */
public final class IoUringCqeLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_LONG.withName("user_data"),
        JAVA_INT.withName("res"),
        JAVA_INT.withName("flags")).withName("io_uring_cqe");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long USER_DATA_OFFSET = Layouts.offset(LAYOUT, "user_data");
    public static final long RES_OFFSET = Layouts.offset(LAYOUT, "res");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");

    private IoUringCqeLayout() {
    }
}
