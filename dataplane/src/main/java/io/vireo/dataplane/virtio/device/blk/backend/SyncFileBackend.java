package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A disk image in a regular file through positional system calls (preadv/pwritev, fdatasync, fallocate), done
 * when the request is prepared: the fallback where io_uring is unavailable (old kernels, seccomp, io_uring
 * disabled by sysctl). Results are delivered by {@link BlockQueue#reap}; there is no completion eventfd. This does
 * make one system call per request, on the worker thread.
 *
 * <p>Buffered I/O only; the capacity is fixed at open ({@code floor(size / 512)} sectors); reads past the end of
 * a file that shrank return zeros.
 */
public final class SyncFileBackend implements BlockBackend {
    private final Path path;
    private final int fd;
    private final boolean readOnly;
    private final long sizeBytes;
    private boolean closed;

    private SyncFileBackend(Path path, int fd, boolean readOnly, long sizeBytes) {
        this.path = path;
        this.fd = fd;
        this.readOnly = readOnly;
        this.sizeBytes = sizeBytes;
    }

    /**
     * Opens {@code path} read-only or read-write, close-on-exec.
     *
     * @throws SysException         when open fails (ENOENT, EACCES, EROFS, ...)
     * @throws UncheckedIOException when the size cannot be read
     * @throws IllegalArgumentException when {@code path} is not a regular file
     */
    public static SyncFileBackend open(Path path, boolean readOnly) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("not a regular file: " + path);
        }
        int fd = Libc.open(path.toString(), (readOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_CLOEXEC);
        try {
            return new SyncFileBackend(path, fd, readOnly, Files.size(path) & ~511L);
        } catch (IOException e) {
            Libc.closeQuietly(fd);
            throw new UncheckedIOException("cannot read the size of disk image " + path, e);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public boolean supportsDiscard() {
        return !readOnly;
    }

    @Override
    public String describe() {
        return readOnly ? "preadv/pwritev, buffered, read-only" : "preadv/pwritev, buffered";
    }

    @Override
    public BlockQueue openQueue(int depth) {
        if (closed) {
            throw new IllegalStateException("backend closed: " + path);
        }
        return new Queue(depth);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.closeQuietly(fd);
        }
    }

    private final class Queue extends ImmediateQueue {
        Queue(int depth) {
            super(depth);
        }

        @Override
        public int prepareRead(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
            int rc = admit(tag);
            return rc != 0 ? rc : finished(tag, PositionalIo.transfer(true, fd, iovecs, iovcnt, offset, bytes));
        }

        @Override
        public int prepareWrite(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
            int rc = readOnly ? -Errno.EROFS : admit(tag);
            return rc != 0 ? rc : finished(tag, PositionalIo.transfer(false, fd, iovecs, iovcnt, offset, bytes));
        }

        @Override
        public int prepareFlush(int tag) {
            int rc = admit(tag);
            return rc != 0 ? rc : finished(tag, PositionalIo.fdatasync(fd));
        }

        @Override
        public int prepareDiscard(int tag, long offset, long length) {
            int rc = readOnly ? -Errno.EROFS : admit(tag);
            return rc != 0 ? rc : finished(tag, PositionalIo.fallocate(fd,
                Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length));
        }

        @Override
        public int prepareWriteZeroes(int tag, long offset, long length, boolean unmap) {
            int rc = readOnly ? -Errno.EROFS : admit(tag);
            int mode = unmap ? Libc.FALLOC_FL_PUNCH_HOLE : Libc.FALLOC_FL_ZERO_RANGE;
            return rc != 0 ? rc : finished(tag, PositionalIo.fallocate(fd, mode | Libc.FALLOC_FL_KEEP_SIZE,
                offset, length));
        }

        @Override
        public void close() {
        }
    }
}
