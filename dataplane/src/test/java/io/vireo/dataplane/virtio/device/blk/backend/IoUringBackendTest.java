package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.PollFdLayout;
import io.vireo.sys.SysException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The contract with default options (O_DIRECT tried), plus what is particular to io_uring. */
class IoUringBackendTest extends BlockBackendContractTest {
    /** Refuses O_DIRECT as a file system without it does (EINVAL at open). */
    private static final IoUringBackend.Opener NO_DIRECT = (path, flags) -> {
        if ((flags & Libc.O_DIRECT) != 0) {
            throw new SysException("open(" + path + ")", Errno.EINVAL);
        }
        return Libc.open(path, flags);
    };

    @Override
    BlockBackend open(Path image, boolean readOnly) {
        return IoUringBackend.open(image, IoUringOptions.builder().readOnly(readOnly).build());
    }

    @Test
    void shouldSendAlignedRequestsDirectAndOthersBuffered() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (IoUringBackend b = IoUringBackend.open(img, IoUringOptions.defaults());
             IoUringQueue q = (IoUringQueue) b.openQueue(8)) {
            assumeTrue(b.direct(), "this file system refuses O_DIRECT: " + b.describe());
            assertTrue(b.describe().startsWith("io_uring, O_DIRECT ("), b.describe());
            assertEquals(0, rig.read(q, 0, 4096, rig.iovecs(0, 4096, 8192, 512), 4608));
            assertEquals(1, q.directRequests());
            assertEquals(0, rig.read(q, 0, 4096, rig.iovecs(1, 4096), 4096));
            assertEquals(0, rig.read(q, 0, 4097, rig.iovecs(0, 512), 512));
            assertEquals(0, rig.read(q, 0, 4096, rig.iovecs(0, 100, 100, 412), 512));
            assertEquals(1, q.directRequests());
            assertEquals(3, q.bufferedRequests());
        }
    }

    @Test
    void shouldFallBackToBufferedIoAndSaySoWhenTheFileSystemRefusesODirect() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (IoUringBackend b = IoUringBackend.open(img, IoUringOptions.defaults(), NO_DIRECT);
             IoUringQueue q = (IoUringQueue) b.openQueue(8)) {
            assertEquals("io_uring, buffered (O_DIRECT refused, open: EINVAL)", b.describe());
            rig.fill(0, 4096, 4);
            assertEquals(0, rig.write(q, 0, 0, rig.iovecs(0, 4096), 4096));
            assertArrayEquals(rig.bytes(0, 4096), Rig.fileBytes(img, 0, 4096));
            assertEquals(0, q.directRequests());
            assertEquals(1, q.bufferedRequests());
        }
        SysException e = assertThrows(SysException.class, () -> IoUringBackend.open(img,
            IoUringOptions.builder().direct(IoUringOptions.Direct.REQUIRE).build(), NO_DIRECT));
        assertTrue(e.getMessage().contains("O_DIRECT"), e.getMessage());
    }

    /** /dev/shm is tmpfs: before Linux 6.6 it refuses O_DIRECT, since then it takes it. Either way, say which. */
    @Test
    void shouldTellTheTruthAboutODirectOnTmpfs() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm");
        Path img = Rig.image(Files.createTempDirectory(shm, "vireo-blk"), "d.img", DISK);
        try (IoUringBackend b = IoUringBackend.open(img, IoUringOptions.defaults());
             BlockQueue q = b.openQueue(4)) {
            boolean tmpfsTakesDirect;
            try {
                Libc.close(Libc.open(img.toString(), Libc.O_RDWR | Libc.O_DIRECT | Libc.O_CLOEXEC));
                tmpfsTakesDirect = true;
            } catch (SysException e) {
                tmpfsTakesDirect = false;
            }
            assertEquals(tmpfsTakesDirect, b.direct(), b.describe());
            assertEquals(tmpfsTakesDirect, b.describe().contains("O_DIRECT ("), b.describe());
            rig.fill(0, 8192, 8);
            assertEquals(0, rig.write(q, 0, 512, rig.iovecs(0, 8192), 8192));
            assertArrayEquals(rig.bytes(0, 8192), Rig.fileBytes(img, 512, 8192));
            // tmpfs has no FALLOC_FL_ZERO_RANGE: the back end punches a hole instead.
            assertEquals(0, q.prepareWriteZeroes(1, 1024, 1024, false));
            rig.drain(q);
            assertEquals(0, rig.results[1]);
            assertArrayEquals(new byte[1024], Rig.fileBytes(img, 1024, 1024));
        } finally {
            Files.deleteIfExists(img);
            Files.deleteIfExists(img.getParent());
        }
    }

    @Test
    void shouldUseFixedBuffersForSingleSegmentRequestsInsideGuestRam() {
        Path img = Rig.image(dir, "d.img", DISK);
        IoUringOptions options = IoUringOptions.builder().fixedBuffers(List.of(rig.ram)).build();
        try (IoUringBackend b = IoUringBackend.open(img, options); IoUringQueue q = (IoUringQueue) b.openQueue(8);
             Arena other = Arena.ofConfined()) {
            assertTrue(b.describe().contains("fixed buffers (1)"), b.describe());
            rig.fill(0, 4096, 6);
            assertEquals(0, rig.write(q, 0, 0, rig.iovecs(0, 4096), 4096));
            assertEquals(0, rig.read(q, 1, 0, rig.iovecs(8192, 4096), 4096));
            assertEquals(0, rig.read(q, 1, 0, rig.iovecs(8192, 2048, 16384, 2048), 4096));
            assertEquals(2, q.fixedBufferRequests());
            // A buffer outside the registered RAM goes through READV.
            MemorySegment outside = other.allocate(4096, 4096);
            MemorySegment iov = other.allocate(16, 8);
            io.vireo.sys.IoVecLayout.set(iov, 0, outside.address(), 4096);
            assertEquals(0, q.prepareRead(2, 0, iov, 1, 4096));
            rig.drain(q);
            assertEquals(0, rig.results[2]);
            assertEquals(2, q.fixedBufferRequests());
            assertArrayEquals(rig.bytes(0, 4096), outside.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void shouldSplitGuestRamIntoRegistrableBuffersOfAtMostOneGib() {
        long gib = 1L << 30;
        MemorySegment big = MemorySegment.ofAddress(1L << 40).reinterpret(2 * gib + gib / 2);
        MemorySegment small = MemorySegment.ofAddress(1L << 20).reinterpret(4096);
        long[][] pieces = IoUringBackend.split(List.of(small, big));
        assertArrayEquals(new long[] {1L << 20, 1L << 40, (1L << 40) + gib, (1L << 40) + 2 * gib}, pieces[0]);
        assertArrayEquals(new long[] {(1L << 20) + 4096, (1L << 40) + gib, (1L << 40) + 2 * gib,
            (1L << 40) + 2 * gib + gib / 2}, pieces[1]);
    }

    @Test
    void shouldSignalTheCompletionEventFd() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (IoUringBackend b = IoUringBackend.open(img, IoUringOptions.defaults()); BlockQueue q = b.openQueue(4);
             Arena arena = Arena.ofConfined()) {
            int efd = q.completionEventFd();
            assertTrue(efd >= 0);
            MemorySegment pfd = arena.allocate(PollFdLayout.SIZE, 8);
            pfd.set(ValueLayout.JAVA_INT, PollFdLayout.FD_OFFSET, efd);
            pfd.set(ValueLayout.JAVA_SHORT, PollFdLayout.EVENTS_OFFSET, Libc.POLLIN);
            assertEquals(0, Libc.poll(pfd, 1, 0));
            assertEquals(0, q.prepareFlush(0));
            assertEquals(1, q.submit());
            // A sleeping worker: poll the eventfd (up to 10 s), then reap.
            assertEquals(1, Libc.poll(pfd, 1, 10_000));
            MemorySegment counter = arena.allocate(8, 8);
            assertTrue(Libc.readRaw(efd, counter, 8) == 8 && counter.get(ValueLayout.JAVA_LONG, 0) >= 1);
            assertEquals(1, q.reap(rig));
            assertEquals(0, rig.results[0]);
        }
    }

    @Test
    void shouldSubmitABatchWithOneCall() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (IoUringBackend b = IoUringBackend.open(img, IoUringOptions.defaults());
             IoUringQueue q = (IoUringQueue) b.openQueue(32)) {
            for (int tag = 0; tag < 32; tag++) {
                assertEquals(0, q.prepareRead(tag, tag * 512L, rig.iovecs(tag * 4096L, 512), 1, 512));
            }
            assertEquals(32, q.ring().prepared());
            assertEquals(32, q.submit());
            assertEquals(0, q.ring().prepared());
            rig.drain(q);
            assertEquals(32, rig.completions);
        }
    }
}
