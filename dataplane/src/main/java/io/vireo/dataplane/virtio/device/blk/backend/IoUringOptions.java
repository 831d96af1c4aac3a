package io.vireo.dataplane.virtio.device.blk.backend;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Settings of an {@link IoUringBackend}.
 *
 * @param direct          whether to open the image with O_DIRECT (bypass the host page cache)
 * @param readOnly        open read-only; writes, discards and write-zeroes are refused with -EROFS
 * @param guestRam        native segments of guest RAM, registered as fixed buffers when {@code fixedBuffers}
 * @param fixedBuffers    register {@code guestRam} with each ring (pinned once) and use READ_FIXED/WRITE_FIXED for
 *                        single-segment requests inside one registered buffer
 * @param sqpoll          a kernel thread per ring polls the SQ, so submission needs no system call while it is
 *                        awake (it burns a host CPU while spinning)
 * @param sqpollIdleMs    how long the SQPOLL thread spins without work before it sleeps
 */
public record IoUringOptions(Direct direct, boolean readOnly, List<MemorySegment> guestRam, boolean fixedBuffers,
    boolean sqpoll, int sqpollIdleMs) {

    /** O_DIRECT policy. */
    public enum Direct {
        /** Use O_DIRECT where the file system takes it, else buffered I/O (logged once, see describe()). */
        TRY,
        /** Fail to open when the file system refuses O_DIRECT. */
        REQUIRE,
        /** Buffered I/O through the host page cache. */
        OFF
    }

    public IoUringOptions {
        if (direct == null) {
            throw new IllegalArgumentException("direct must be TRY, REQUIRE or OFF, not null");
        }
        guestRam = guestRam == null ? List.of() : List.copyOf(guestRam);
        if (fixedBuffers && guestRam.isEmpty()) {
            throw new IllegalArgumentException("fixedBuffers needs the guest RAM segments");
        }
        for (MemorySegment s : guestRam) {
            if (!s.isNative()) {
                throw new IllegalArgumentException("guest RAM must be native segments, not " + s);
            }
        }
        if (sqpollIdleMs < 0) {
            throw new IllegalArgumentException("sqpollIdleMs must be >= 0, not " + sqpollIdleMs);
        }
    }

    /** O_DIRECT tried, read-write, no fixed buffers, no SQPOLL. */
    public static IoUringOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from {@link #defaults()}. */
    public static final class Builder {
        private Direct direct = Direct.TRY;
        private boolean readOnly;
        private List<MemorySegment> guestRam = List.of();
        private boolean fixedBuffers;
        private boolean sqpoll;
        private int sqpollIdleMs = 1000;

        private Builder() {
        }

        public Builder direct(Direct value) {
            direct = value;
            return this;
        }

        public Builder readOnly(boolean value) {
            readOnly = value;
            return this;
        }

        /** Registers {@code ram} (guest RAM regions, each any size: split at 1 GiB) as fixed buffers. */
        public Builder fixedBuffers(List<MemorySegment> ram) {
            guestRam = ram;
            fixedBuffers = true;
            return this;
        }

        /** Turns SQPOLL on with the given idle time. */
        public Builder sqpoll(int idleMs) {
            sqpoll = true;
            sqpollIdleMs = idleMs;
            return this;
        }

        public IoUringOptions build() {
            return new IoUringOptions(direct, readOnly, guestRam, fixedBuffers, sqpoll, sqpollIdleMs);
        }
    }
}
