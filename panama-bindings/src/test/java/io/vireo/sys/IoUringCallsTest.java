package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The io_uring syscalls and the vectored/sync file calls, against the running kernel. */
class IoUringCallsTest {

    @Test
    void shouldRunANopThroughARawRing() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment params = arena.allocate(IoUringParamsLayout.LAYOUT);
            final int ring = Libc.ioUringSetup(4, params);
            try {
                final int sqEntries = params.get(JAVA_INT, IoUringParamsLayout.SQ_ENTRIES_OFFSET);
                final int cqEntries = params.get(JAVA_INT, IoUringParamsLayout.CQ_ENTRIES_OFFSET);
                final int features = params.get(JAVA_INT, IoUringParamsLayout.FEATURES_OFFSET);
                assertEquals(4, sqEntries);
                assertTrue((features & IoUringAbi.IORING_FEAT_SINGLE_MMAP) != 0, "features 0x"
                    + Integer.toHexString(features));
                final long sq = IoUringParamsLayout.SQ_OFF_OFFSET;
                final long cq = IoUringParamsLayout.CQ_OFF_OFFSET;
                final long cqesOff = params.get(JAVA_INT, cq + IoCqringOffsetsLayout.CQES_OFFSET);
                final long arrayOff = params.get(JAVA_INT, sq + IoSqringOffsetsLayout.ARRAY_OFFSET);
                final long ringBytes = Math.max(arrayOff + 4L * sqEntries, cqesOff + IoUringCqeLayout.SIZE * cqEntries);
                final MemorySegment rings = Libc.mmap(0, ringBytes, Libc.PROT_READ | Libc.PROT_WRITE,
                    Libc.MAP_SHARED | Libc.MAP_POPULATE, ring, IoUringAbi.IORING_OFF_SQ_RING);
                final MemorySegment sqes = Libc.mmap(0, IoUringSqeLayout.SIZE * sqEntries,
                    Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, ring,
                    IoUringAbi.IORING_OFF_SQES);
                sqes.fill((byte) 0);
                sqes.set(JAVA_BYTE, IoUringSqeLayout.OPCODE_OFFSET, (byte) IoUringAbi.IORING_OP_NOP);
                sqes.set(JAVA_LONG, IoUringSqeLayout.USER_DATA_OFFSET, 0xC0FFEEL);
                rings.set(JAVA_INT, arrayOff, 0);
                rings.set(JAVA_INT, params.get(JAVA_INT, sq + IoSqringOffsetsLayout.TAIL_OFFSET), 1);
                assertEquals(1, Libc.ioUringEnterRaw(ring, 1, 1, IoUringAbi.IORING_ENTER_GETEVENTS));
                assertEquals(1, rings.get(JAVA_INT, params.get(JAVA_INT, cq + IoCqringOffsetsLayout.TAIL_OFFSET)));
                assertEquals(0xC0FFEEL, rings.get(JAVA_LONG, cqesOff + IoUringCqeLayout.USER_DATA_OFFSET));
                assertEquals(0, rings.get(JAVA_INT, cqesOff + IoUringCqeLayout.RES_OFFSET));
                Libc.munmap(sqes);
                Libc.munmap(rings);
            } finally {
                Libc.close(ring);
            }
        }
    }

    @Test
    void shouldRegisterAnEventfdAndRefuseABadFd() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment params = arena.allocate(IoUringParamsLayout.LAYOUT);
            final int ring = Libc.ioUringSetup(2, params);
            final int efd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            try {
                final MemorySegment fd = arena.allocate(JAVA_INT);
                fd.set(JAVA_INT, 0, efd);
                assertEquals(0, Libc.ioUringRegisterRaw(ring, IoUringAbi.IORING_REGISTER_EVENTFD, fd, 1));
                fd.set(JAVA_INT, 0, -1);
                // Not a ring: refused with an errno (EOPNOTSUPP today), no exception.
                assertTrue(Libc.ioUringRegisterRaw(efd, IoUringAbi.IORING_REGISTER_EVENTFD, fd, 1) < 0);
                assertEquals(-Errno.EBADF, Libc.ioUringEnterRaw(-1, 0, 0, 0));
            } finally {
                Libc.close(efd);
                Libc.close(ring);
            }
        }
    }

    @Test
    void shouldMoveBytesWithPreadvAndPwritev(@TempDir final Path dir) {
        final int fd = Libc.open(dir.resolve("f").toString(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0600);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment a = arena.allocate(3);
            final MemorySegment b = arena.allocate(5);
            a.copyFrom(MemorySegment.ofArray("abc".getBytes()));
            b.copyFrom(MemorySegment.ofArray("defgh".getBytes()));
            final MemorySegment iov = arena.allocate(IoVecLayout.SIZE * 2);
            IoVecLayout.set(iov, 0, a.address(), 3);
            IoVecLayout.set(iov, 1, b.address(), 5);
            assertEquals(8, Libc.pwritev(fd, iov, 2, 100));
            assertEquals(0, Libc.fdatasyncRaw(fd));
            assertEquals(0, Libc.fallocateRaw(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, 0, 4096));
            a.fill((byte) 0);
            b.fill((byte) 0);
            IoVecLayout.set(iov, 0, b.address(), 5);
            IoVecLayout.set(iov, 1, a.address(), 3);
            assertEquals(108, Libc.preadvRaw(fd, iov, 2, 0) + 100);
            assertEquals(0, b.get(JAVA_BYTE, 0));
            assertEquals(-Errno.EBADF, Libc.preadvRaw(-1, iov, 2, 0));
        } finally {
            Libc.close(fd);
        }
    }
}
