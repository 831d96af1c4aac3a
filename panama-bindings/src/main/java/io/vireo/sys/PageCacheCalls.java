package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * cachestat(2) behind {@link Libc} (Linux 6.5+, through {@code long syscall(long, ...)}: glibc has no wrapper): how
 * many of a file's pages are in the page cache, dirty, under writeback. Tests use it to see whether a flush really
 * reached the file system's sync before its completion was reported.
 *
 * <pre>
 * struct cachestat_range { u64 off; u64 len; }            16 bytes (len 0: to the end of the file)
 * struct cachestat { u64 nr_cache; u64 nr_dirty; u64 nr_writeback; u64 nr_evicted; u64 nr_recently_evicted; }
 * </pre>
 */
final class PageCacheCalls {
    /** x86-64 syscall number ({@code __NR_cachestat}). */
    static final long SYS_CACHESTAT = 451;
    private static final long STAT_BYTES = 40;

    private static final MethodHandle CACHESTAT = Native.capturingVariadic("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), 1);

    private PageCacheCalls() {
    }

    static Libc.Cachestat cachestat(final int fd, final long offset, final long length) {
        final MemorySegment capture = Native.capture();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment range = arena.allocate(16, 8);
            range.set(JAVA_LONG, 0, offset);
            range.set(JAVA_LONG, 8, length);
            final MemorySegment stat = arena.allocate(STAT_BYTES, 8);
            final long rc;
            try {
                rc = (long) CACHESTAT.invokeExact(capture, SYS_CACHESTAT, (long) fd, range, stat, 0L);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (rc < 0) {
                throw new SysException("cachestat(" + fd + ")", Native.errno(capture));
            }
            return new Libc.Cachestat(stat.get(JAVA_LONG, 0), stat.get(JAVA_LONG, 8), stat.get(JAVA_LONG, 16),
                stat.get(JAVA_LONG, 24), stat.get(JAVA_LONG, 32));
        }
    }
}
