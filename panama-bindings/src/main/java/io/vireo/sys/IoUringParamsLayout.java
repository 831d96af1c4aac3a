package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct io_uring_params}: passed to io_uring_setup (entries, flags, SQPOLL settings) and filled back by it
 * (ring sizes, features, and the {@link IoSqringOffsetsLayout} / {@link IoCqringOffsetsLayout} tables).
 *
 * <pre>
 *   0          4          8       12            16             20        24     28         40       80       120
 *   +----------+----------+-------+-------------+--------------+---------+------+----------+--------+--------+
 *   |sq_entries|cq_entries| flags |sq_thread_cpu|sq_thread_idle|features |wq_fd | resv[3]  | sq_off | cq_off |
 *   +----------+----------+-------+-------------+--------------+---------+------+----------+--------+--------+
 * </pre>
 */
public final class IoUringParamsLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_INT.withName("sq_entries"),
        JAVA_INT.withName("cq_entries"),
        JAVA_INT.withName("flags"),
        JAVA_INT.withName("sq_thread_cpu"),
        JAVA_INT.withName("sq_thread_idle"),
        JAVA_INT.withName("features"),
        JAVA_INT.withName("wq_fd"),
        sequenceLayout(3, JAVA_INT).withName("resv"),
        IoSqringOffsetsLayout.LAYOUT.withName("sq_off"),
        IoCqringOffsetsLayout.LAYOUT.withName("cq_off")).withName("io_uring_params");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long SQ_ENTRIES_OFFSET = Layouts.offset(LAYOUT, "sq_entries");
    public static final long CQ_ENTRIES_OFFSET = Layouts.offset(LAYOUT, "cq_entries");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long SQ_THREAD_CPU_OFFSET = Layouts.offset(LAYOUT, "sq_thread_cpu");
    /** Milliseconds an SQPOLL thread spins without work before it sleeps (and sets IORING_SQ_NEED_WAKEUP). */
    public static final long SQ_THREAD_IDLE_OFFSET = Layouts.offset(LAYOUT, "sq_thread_idle");
    public static final long FEATURES_OFFSET = Layouts.offset(LAYOUT, "features");
    public static final long WQ_FD_OFFSET = Layouts.offset(LAYOUT, "wq_fd");
    public static final long SQ_OFF_OFFSET = Layouts.offset(LAYOUT, "sq_off");
    public static final long CQ_OFF_OFFSET = Layouts.offset(LAYOUT, "cq_off");

    private IoUringParamsLayout() {
    }
}
