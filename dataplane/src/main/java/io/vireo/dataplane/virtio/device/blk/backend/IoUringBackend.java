package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.dataplane.uring.IoUring;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A disk image in a regular file, through io_uring: one ring per queue ({@link IoUringQueue}), straight into guest
 * RAM.
 *
 * <p>O_DIRECT ({@link IoUringOptions.Direct#TRY} by default): the image is opened twice, with and without O_DIRECT.
 * Requests whose offset, length and buffers are all aligned to the direct alignment (512 bytes, or 4096 when a
 * probe read shows the device needs it) go to the O_DIRECT descriptor; the others, which a guest may send (a
 * virtio buffer need only be byte-aligned), go to the buffered one rather than fail with EINVAL or be copied
 * through a bounce buffer. Where the file system refuses O_DIRECT, everything is buffered; this is logged once and
 * {@link #describe()} says so.
 *
 * <p>The capacity is fixed at open: {@code floor(size / 512)} sectors. Reads past the end of a file that shrank
 * afterwards return zeros, as a hole would. Only regular files for now: a block device needs BLKGETSIZE64.
 */
public final class IoUringBackend implements BlockBackend {
    /** The largest buffer io_uring registers (the kernel's limit per IORING_REGISTER_BUFFERS entry). */
    static final long MAX_FIXED_BUFFER_BYTES = 1L << 30;

    private static final System.Logger LOG = System.getLogger(IoUringBackend.class.getName());

    /** How the image is opened: {@link Libc#open(String, int)} in production, a refusing fake in tests. */
    @FunctionalInterface
    interface Opener {
        int open(String path, int flags);
    }

    private final Path path;
    private final IoUringOptions options;
    private final int bufferedFd;
    private final int directFd;
    private final int directAlignment;
    private final long sizeBytes;
    private final String description;
    private final long[][] fixedBuffers;
    private boolean closed;

    private IoUringBackend(Path path, IoUringOptions options, int bufferedFd, int directFd, int directAlignment,
        long sizeBytes, String directNote) {
        this.path = path;
        this.options = options;
        this.bufferedFd = bufferedFd;
        this.directFd = directFd;
        this.directAlignment = directAlignment;
        this.sizeBytes = sizeBytes;
        this.fixedBuffers = options.fixedBuffers() ? split(options.guestRam()) : new long[][] {{}, {}};
        StringBuilder d = new StringBuilder("io_uring, ").append(directNote);
        if (options.fixedBuffers()) {
            d.append(", fixed buffers (").append(fixedBuffers[0].length).append(')');
        }
        if (options.sqpoll()) {
            d.append(", sqpoll (idle ").append(options.sqpollIdleMs()).append(" ms)");
        }
        if (options.readOnly()) {
            d.append(", read-only");
        }
        this.description = d.toString();
    }

    /**
     * Sets up and closes one single-entry ring: throws the {@link SysException} of {@code io_uring_setup} when the
     * kernel refuses io_uring (ENOSYS, or EPERM under {@code kernel.io_uring_disabled}). The queues' rings are made
     * later, per queue, so a caller that wants a fallback asks here first.
     */
    public static void probe() {
        new IoUring(1, 0, 0).close();
    }

    /**
     * Opens {@code path}, close-on-exec.
     *
     * @throws SysException         when open fails (ENOENT, EACCES, ...), or O_DIRECT is refused under REQUIRE
     * @throws UncheckedIOException when the size cannot be read
     * @throws IllegalArgumentException when {@code path} is not a regular file
     */
    public static IoUringBackend open(Path path, IoUringOptions options) {
        return open(path, options, Libc::open);
    }

    static IoUringBackend open(Path path, IoUringOptions options, Opener opener) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("not a regular file: " + path);
        }
        int access = (options.readOnly() ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_CLOEXEC;
        int buffered = opener.open(path.toString(), access);
        int direct = -1;
        int alignment = 0;
        String note = "buffered";
        try {
            long size = Files.size(path);
            if (options.direct() != IoUringOptions.Direct.OFF) {
                String refusal;
                try {
                    direct = opener.open(path.toString(), access | Libc.O_DIRECT);
                    alignment = probeAlignment(direct);
                    refusal = alignment > 0 ? null : "probe read: " + Errno.name(-alignment);
                } catch (SysException e) {
                    refusal = "open: " + Errno.name(e.errno());
                }
                if (refusal == null) {
                    note = "O_DIRECT (" + alignment + "-byte aligned; unaligned requests buffered)";
                } else {
                    Libc.closeQuietly(direct);
                    direct = -1;
                    alignment = 0;
                    if (options.direct() == IoUringOptions.Direct.REQUIRE) {
                        throw new SysException("O_DIRECT on " + path + " (" + refusal + ")", Errno.EINVAL);
                    }
                    note = "buffered (O_DIRECT refused, " + refusal + ")";
                    LOG.log(System.Logger.Level.INFO, "disk image " + path + ": the file system refuses O_DIRECT ("
                        + refusal + "); using the host page cache");
                }
            }
            return new IoUringBackend(path, options, buffered, direct, alignment, size & ~511L, note);
        } catch (IOException e) {
            Libc.closeQuietly(buffered);
            Libc.closeQuietly(direct);
            throw new UncheckedIOException("cannot read the size of disk image " + path, e);
        } catch (RuntimeException e) {
            Libc.closeQuietly(buffered);
            Libc.closeQuietly(direct);
            throw e;
        }
    }

    /**
     * The smallest alignment (512, else 4096) at which an O_DIRECT read succeeds, or {@code -errno} when neither
     * does. A read at end of file (an empty image) succeeds at any alignment, so 512 is then a guess.
     */
    private static int probeAlignment(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(8192, 8192);
            long rc = 0;
            for (int alignment = 512; alignment <= 4096; alignment *= 8) {
                // A buffer aligned to exactly `alignment` (not more), a length and an offset that are too.
                rc = Libc.preadRaw(fd, page.asSlice(alignment, alignment), alignment, 0);
                if (rc >= 0) {
                    return alignment;
                }
                if (rc != -Errno.EINVAL) {
                    break;
                }
            }
            return (int) rc;
        }
    }

    /** Guest RAM segments cut into registrable pieces: {@code [0]} = bases, {@code [1]} = exclusive ends. */
    static long[][] split(List<MemorySegment> ram) {
        List<long[]> pieces = new ArrayList<>();
        for (MemorySegment s : ram) {
            for (long at = 0; at < s.byteSize(); at += MAX_FIXED_BUFFER_BYTES) {
                long len = Math.min(MAX_FIXED_BUFFER_BYTES, s.byteSize() - at);
                pieces.add(new long[] {s.address() + at, s.address() + at + len});
            }
        }
        long[][] r = new long[2][pieces.size()];
        for (int i = 0; i < pieces.size(); i++) {
            r[0][i] = pieces.get(i)[0];
            r[1][i] = pieces.get(i)[1];
        }
        return r;
    }

    public Path path() {
        return path;
    }

    /** Whether aligned requests bypass the page cache. */
    public boolean direct() {
        return directFd >= 0;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public boolean readOnly() {
        return options.readOnly();
    }

    /** True: a regular file can punch holes (where the file system cannot, DISCARD completes with -EOPNOTSUPP). */
    @Override
    public boolean supportsDiscard() {
        return !options.readOnly();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public BlockQueue openQueue(int depth) {
        if (closed) {
            throw new IllegalStateException("backend closed: " + path);
        }
        return new IoUringQueue(this, depth);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.closeQuietly(directFd);
        Libc.closeQuietly(bufferedFd);
    }

    IoUringOptions options() {
        return options;
    }

    int bufferedFd() {
        return bufferedFd;
    }

    int directFd() {
        return directFd;
    }

    /** Bytes, or 0 without O_DIRECT. */
    int directAlignment() {
        return directAlignment;
    }

    long[][] fixedBuffers() {
        return fixedBuffers;
    }
}
