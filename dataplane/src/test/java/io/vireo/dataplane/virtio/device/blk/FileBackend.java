package io.vireo.dataplane.virtio.device.blk;

import io.vireo.sys.Libc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test: a disk image file through pread/pwrite, capacity rounded down to whole sectors. */
final class FileBackend extends SyncTestBackend {
    private final int fd;
    private final boolean readOnly;
    private final long size;

    FileBackend(Path path, boolean readOnly) {
        this.readOnly = readOnly;
        this.fd = Libc.open(path.toString(), (readOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_CLOEXEC);
        try {
            this.size = Files.size(path) & ~511L;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    int read(long offset, MemorySegment dst) {
        return Libc.pread(fd, dst, dst.byteSize(), offset) == dst.byteSize() ? 0 : -5;
    }

    @Override
    int write(long offset, MemorySegment src) {
        return Libc.pwrite(fd, src, src.byteSize(), offset) == src.byteSize() ? 0 : -5;
    }

    @Override
    int flush() {
        Libc.fsync(fd);
        return 0;
    }

    @Override
    public void close() {
        Libc.closeQuietly(fd);
    }
}
