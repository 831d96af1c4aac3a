package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct io_uring_sqe}, one submission (64 bytes without IORING_SETUP_SQE128). The C struct is mostly unions;
 * this layout names the member of each union that block I/O uses, and the aliases are extra offset constants.
 *
 * <pre>
 *   0      1     2       4      8            16           24     28                32           40         42
 *   +------+-----+-------+------+------------+------------+------+-----------------+------------+----------+--
 *   |opcode|flags|ioprio | fd   | off        | addr       | len  | rw_flags        | user_data  |buf_index |
 *   +------+-----+-------+------+------------+------------+------+-----------------+------------+----------+--
 *   42            44            48          56          64
 *   --------------+-------------+-----------+-----------+
 *    personality  | file_index  | addr3     | pad2      |
 *   --------------+-------------+-----------+-----------+
 * </pre>
 *
 * For FALLOCATE the kernel reads the length from {@code addr} and the mode from {@code len}; for FSYNC the flags sit
 * in {@code rw_flags} ({@link #FSYNC_FLAGS_OFFSET}).
 */
public final class IoUringSqeLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_BYTE.withName("opcode"),
        JAVA_BYTE.withName("flags"),
        JAVA_SHORT.withName("ioprio"),
        JAVA_INT.withName("fd"),
        JAVA_LONG.withName("off"),
        JAVA_LONG.withName("addr"),
        JAVA_INT.withName("len"),
        JAVA_INT.withName("rw_flags"),
        JAVA_LONG.withName("user_data"),
        JAVA_SHORT.withName("buf_index"),
        JAVA_SHORT.withName("personality"),
        JAVA_INT.withName("file_index"),
        JAVA_LONG.withName("addr3"),
        JAVA_LONG.withName("pad2")).withName("io_uring_sqe");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long OPCODE_OFFSET = Layouts.offset(LAYOUT, "opcode");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long IOPRIO_OFFSET = Layouts.offset(LAYOUT, "ioprio");
    public static final long FD_OFFSET = Layouts.offset(LAYOUT, "fd");
    public static final long OFF_OFFSET = Layouts.offset(LAYOUT, "off");
    public static final long ADDR_OFFSET = Layouts.offset(LAYOUT, "addr");
    public static final long LEN_OFFSET = Layouts.offset(LAYOUT, "len");
    public static final long RW_FLAGS_OFFSET = Layouts.offset(LAYOUT, "rw_flags");
    /** The same union member as {@link #RW_FLAGS_OFFSET}. */
    public static final long FSYNC_FLAGS_OFFSET = RW_FLAGS_OFFSET;
    public static final long USER_DATA_OFFSET = Layouts.offset(LAYOUT, "user_data");
    public static final long BUF_INDEX_OFFSET = Layouts.offset(LAYOUT, "buf_index");
    public static final long PERSONALITY_OFFSET = Layouts.offset(LAYOUT, "personality");
    public static final long FILE_INDEX_OFFSET = Layouts.offset(LAYOUT, "file_index");
    public static final long ADDR3_OFFSET = Layouts.offset(LAYOUT, "addr3");

    private IoUringSqeLayout() {
    }
}
