package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.Errno;
import io.vireo.sys.IoVecLayout;
import io.vireo.sys.Libc;

import java.lang.foreign.MemorySegment;

/** preadv/pwritev/fdatasync/fallocate to completion: short transfers continued, EINTR retried. One thread. */
final class PositionalIo {
    private static final int MAX_RETRIES = 100;

    private PositionalIo() {
    }

    /** @return 0 when all {@code bytes} moved (a read past end of file: the rest zero-filled), else -errno */
    static int transfer(boolean read, int fd, MemorySegment iovecs, int iovcnt, long offset, long bytes) {
        long rc = read ? Libc.preadvRaw(fd, iovecs, iovcnt, offset) : Libc.pwritevRaw(fd, iovecs, iovcnt, offset);
        if (rc == bytes) {
            return 0;
        }
        return finish(read, fd, iovecs, iovcnt, offset, bytes, rc);
    }

    /** The slow path: carries on after a short or interrupted first call (slices allocate; this is rare). */
    private static int finish(boolean read, int fd, MemorySegment iovecs, int iovcnt, long offset, long bytes,
        long firstRc) {
        long done = 0;
        long rc = firstRc;
        int retries = 0;
        while (true) {
            if (rc < 0) {
                if (rc != -Errno.EINTR || retries++ >= MAX_RETRIES) {
                    return (int) rc;
                }
            } else if (rc == 0 && done < bytes) {
                if (!read) {
                    return -Errno.EIO;
                }
                // End of file inside the capacity: the image shrank after open. Read it as a hole.
                Iovecs.zeroFrom(iovecs, iovcnt, done);
                return 0;
            } else {
                done += rc;
            }
            if (done >= bytes) {
                return 0;
            }
            int i = Iovecs.indexOf(iovecs, iovcnt, done);
            if (i >= iovcnt) {
                return -Errno.EIO;
            }
            long skip = done - Iovecs.startOf(iovecs, i);
            long at = offset + done;
            if (skip == 0) {
                MemorySegment rest = iovecs.asSlice(i * IoVecLayout.SIZE);
                rc = read ? Libc.preadvRaw(fd, rest, iovcnt - i, at) : Libc.pwritevRaw(fd, rest, iovcnt - i, at);
            } else {
                MemorySegment tail = Iovecs.segment(iovecs, i, skip);
                long n = tail.byteSize();
                rc = read ? Libc.preadRaw(fd, tail, n, at) : Libc.pwriteRaw(fd, tail, n, at);
            }
        }
    }

    static int fdatasync(int fd) {
        int rc;
        int retries = 0;
        do {
            rc = Libc.fdatasyncRaw(fd);
        } while (rc == -Errno.EINTR && retries++ < MAX_RETRIES);
        return rc;
    }

    /** fallocate; ZERO_RANGE where the file system lacks it (tmpfs) becomes PUNCH_HOLE, which reads back as zeros. */
    static int fallocate(int fd, int mode, long offset, long length) {
        int rc;
        int retries = 0;
        do {
            rc = Libc.fallocateRaw(fd, mode, offset, length);
        } while (rc == -Errno.EINTR && retries++ < MAX_RETRIES);
        if (rc == -Errno.EOPNOTSUPP && (mode & Libc.FALLOC_FL_ZERO_RANGE) != 0) {
            return fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length);
        }
        return rc < 0 ? rc : 0;
    }
}
