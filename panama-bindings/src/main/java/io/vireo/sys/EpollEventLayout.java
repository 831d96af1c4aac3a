package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct epoll_event}. On x86-64 the kernel declares it {@code __attribute__((packed))}, so it is 12 bytes
 * and {@code data} sits at offset 4, unaligned:
 *
 * <pre>
 *   0      4                  12
 *   +------+------------------+
 *   |events| data (u64)       |
 *   +------+------------------+
 * </pre>
 */
public final class EpollEventLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_INT.withName("events"),
        JAVA_LONG_UNALIGNED.withName("data")).withName("epoll_event");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long EVENTS_OFFSET = Layouts.offset(LAYOUT, "events");
    public static final long DATA_OFFSET = Layouts.offset(LAYOUT, "data");

    private EpollEventLayout() {
    }

    /** @return the ready mask of event {@code index} in an array filled by epoll_wait */
    public static int events(final MemorySegment events, final int index) {
        return events.get(JAVA_INT, index * SIZE + EVENTS_OFFSET);
    }

    /** @return the user data of event {@code index} in an array filled by epoll_wait */
    public static long data(final MemorySegment events, final int index) {
        return events.get(JAVA_LONG_UNALIGNED, index * SIZE + DATA_OFFSET);
    }
}
