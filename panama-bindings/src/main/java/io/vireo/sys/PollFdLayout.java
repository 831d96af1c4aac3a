package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/** {@code struct pollfd} for {@link Libc#poll}: {@code int fd; short events; short revents;} (8 bytes). */
public final class PollFdLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_INT.withName("fd"),
        JAVA_SHORT.withName("events"),
        JAVA_SHORT.withName("revents")).withName("pollfd");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FD_OFFSET = Layouts.offset(LAYOUT, "fd");
    public static final long EVENTS_OFFSET = Layouts.offset(LAYOUT, "events");
    public static final long REVENTS_OFFSET = Layouts.offset(LAYOUT, "revents");

    private PollFdLayout() {
    }
}
