package io.vireo.dataplane.virtio.device.blk;

import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A disk image in a regular file, through {@code pread}/{@code pwrite} straight into guest RAM.
 *
 * <p>The capacity is fixed when the file is opened: {@code floor(size / 512)} sectors; a tail shorter than a sector
 * is not addressable. Short transfers are continued and EINTR retried; a read that meets end of file (the file was
 * truncated behind our back) returns zeros for the missing part, as a sparse hole would. FLUSH is {@code fsync}
 * (panama-bindings has no {@code fdatasync} yet).
 *
 * <p>One worker thread does the I/O; {@link #close()} is for the control path once the device is reset.
 */
public final class FileBackend implements BlockBackend {
    private final Path path;
    private final int fd;
    private final boolean readOnly;
    private final long sizeBytes;
    private boolean closed;

    /**
     * Opens {@code path} read-only or read-write, close-on-exec.
     *
     * @throws SysException         when open fails (ENOENT, EACCES, EROFS, ...)
     * @throws UncheckedIOException when the size cannot be read
     */
    public FileBackend(Path path, boolean readOnly) {
        this.path = path;
        this.readOnly = readOnly;
        int flags = (readOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_CLOEXEC;
        this.fd = Libc.open(path.toString(), flags);
        long size;
        try {
            // Regular files only: a block device reports 0 here (needs lseek/BLKGETSIZE64, not bound yet).
            size = Files.size(path);
        } catch (IOException e) {
            Libc.closeQuietly(fd);
            throw new UncheckedIOException("cannot read the size of disk image " + path, e);
        }
        this.sizeBytes = size & ~(BlkRequest.SECTOR_SIZE - 1L);
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
    public int read(long offset, MemorySegment dst) {
        long n = dst.byteSize();
        long done = 0;
        while (done < n) {
            // A slice only for the rare short read: the first call takes dst as it is.
            MemorySegment buf = done == 0 ? dst : dst.asSlice(done);
            long rc = Libc.preadRaw(fd, buf, n - done, offset + done);
            if (rc == -Errno.EINTR) {
                continue;
            }
            if (rc < 0) {
                return (int) rc;
            }
            if (rc == 0) {
                // End of file inside the capacity: the image shrank after open. Read it as a hole (zeros).
                buf.fill((byte) 0);
                return 0;
            }
            done += rc;
        }
        return 0;
    }

    @Override
    public int write(long offset, MemorySegment src) {
        if (readOnly) {
            return -Errno.EROFS;
        }
        long n = src.byteSize();
        long done = 0;
        while (done < n) {
            MemorySegment buf = done == 0 ? src : src.asSlice(done);
            long rc = Libc.pwriteRaw(fd, buf, n - done, offset + done);
            if (rc == -Errno.EINTR) {
                continue;
            }
            if (rc < 0) {
                return (int) rc;
            }
            if (rc == 0) {
                // pwrite of a non-zero length returning 0 would loop forever; call it an I/O error.
                return -Errno.EIO;
            }
            done += rc;
        }
        return 0;
    }

    @Override
    public int flush() {
        try {
            // Libc.fsync allocates only when it fails (the exception); success is allocation-free.
            Libc.fsync(fd);
            return 0;
        } catch (SysException e) {
            return -e.errno();
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }

    @Override
    public String toString() {
        return "FileBackend[" + path + (readOnly ? ", ro" : ", rw") + ", sizeBytes=" + sizeBytes + "]";
    }
}
