package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every file back end must do, run once per flavour by the top-level subclasses (real files under a @TempDir).
 * Subclasses must be top-level classes: Surefire's default excludes ({@code **}{@code /*$*}) drop static nested ones
 * without a word.
 */
abstract class BlockBackendContractTest {
    static final long DISK = 1 << 20;

    @TempDir
    Path dir;
    /** Guest RAM and completions; made before each test, so that open() may register the RAM. */
    Rig rig;

    @BeforeEach
    void makeRig() {
        rig = new Rig();
    }

    @AfterEach
    void closeRig() {
        rig.close();
    }

    abstract BlockBackend open(Path image, boolean readOnly);

    private BlockBackend open(Path image) {
        return open(image, false);
    }

    @Test
    void shouldReadBackWhatAMultiSegmentWriteWrote() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (BlockBackend b = open(img); BlockQueue q = b.openQueue(8)) {
            assertEquals(DISK, b.sizeBytes());
            rig.fill(0, 12288, 3);
            assertEquals(0, rig.write(q, 0, 4096, rig.iovecs(0, 4096, 4096, 4096, 8192, 4096), 12288));
            assertArrayEquals(rig.bytes(0, 12288), Rig.fileBytes(img, 4096, 12288));
            assertEquals(0, rig.read(q, 1, 4096, rig.iovecs(65536, 8192, 131072, 4096), 12288));
            assertArrayEquals(rig.bytes(0, 8192), rig.bytes(65536, 8192));
            assertArrayEquals(rig.bytes(8192, 4096), rig.bytes(131072, 4096));
        }
    }

    @Test
    void shouldMoveBuffersThatAreNotSectorAligned() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (BlockBackend b = open(img); BlockQueue q = b.openQueue(8)) {
            rig.fill(1, 1000, 9);
            rig.fill(2001, 24, 5);
            // Odd addresses and lengths: O_DIRECT would refuse these with EINVAL.
            assertEquals(0, rig.write(q, 2, 512, rig.iovecs(1, 1000, 2001, 24), 1024));
            byte[] expected = new byte[1024];
            System.arraycopy(rig.bytes(1, 1000), 0, expected, 0, 1000);
            System.arraycopy(rig.bytes(2001, 24), 0, expected, 1000, 24);
            assertArrayEquals(expected, Rig.fileBytes(img, 512, 1024));
            assertEquals(0, rig.read(q, 3, 512, rig.iovecs(70001, 1024), 1024));
            assertArrayEquals(expected, rig.bytes(70001, 1024));
        }
    }

    @Test
    void shouldFlush() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (BlockBackend b = open(img); BlockQueue q = b.openQueue(8)) {
            rig.fill(0, 4096, 1);
            assertEquals(0, rig.write(q, 0, 0, rig.iovecs(0, 4096), 4096));
            assertEquals(0, q.prepareFlush(1));
            rig.drain(q);
            assertEquals(0, rig.results[1]);
        }
    }

    /**
     * FLUSH must reach the file system's sync (fdatasync, or IORING_OP_FSYNC with DATASYNC) before its completion is
     * reported. The completion sink is where BlkQueue writes the status and pushes the used entry, so at that moment
     * none of the file's pages may still be dirty or under writeback (cachestat(2)). The write goes from an odd
     * address, so it takes the page cache even where O_DIRECT is on: with O_DIRECT alone there would be nothing to see.
     */
    @Test
    void shouldReportAFlushOnlyOnceTheWrittenPagesAreClean() {
        Path img = Rig.image(dir, "d.img", DISK);
        int fd = Libc.open(img.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        try (BlockBackend b = open(img); BlockQueue q = b.openQueue(8)) {
            rig.fill(1, 256 << 10, 17);
            assertEquals(0, rig.write(q, 0, 0, rig.iovecs(1, 256 << 10), 256 << 10));
            Libc.Cachestat before = Libc.cachestat(fd, 0, 0);
            assertTrue(before.dirty() > 0, () -> "the write left no dirty page to flush: " + before);
            long[] unsyncedAtCompletion = {-1};
            rig.atCompletion = tag -> {
                if (tag == 1) {
                    Libc.Cachestat s = Libc.cachestat(fd, 0, 0);
                    unsyncedAtCompletion[0] = s.dirty() + s.writeback();
                }
            };
            assertEquals(0, q.prepareFlush(1));
            rig.drain(q);
            assertEquals(0, rig.results[1]);
            assertEquals(0, unsyncedAtCompletion[0], () -> "pages dirty or under writeback when the flush completed"
                + " (before it: " + before + ")");
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void shouldReadZerosAfterDiscardAndWriteZeroes() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (BlockBackend b = open(img); BlockQueue q = b.openQueue(8)) {
            assertTrue(b.supportsDiscard());
            rig.fill(0, 65536, 11);
            assertEquals(0, rig.write(q, 0, 0, rig.iovecs(0, 65536), 65536));
            assertEquals(0, q.prepareDiscard(1, 4096, 8192));
            assertEquals(0, q.prepareWriteZeroes(2, 20480, 4096, false));
            assertEquals(0, q.prepareWriteZeroes(3, 32768, 1024, true));
            rig.drain(q);
            assertEquals(0, rig.results[1]);
            assertEquals(0, rig.results[2]);
            assertEquals(0, rig.results[3]);
            assertEquals(0, rig.read(q, 4, 0, rig.iovecs(1 << 20, 65536), 65536));
            byte[] expected = rig.bytes(0, 65536);
            Arrays.fill(expected, 4096, 12288, (byte) 0);
            Arrays.fill(expected, 20480, 24576, (byte) 0);
            Arrays.fill(expected, 32768, 33792, (byte) 0);
            assertArrayEquals(expected, rig.bytes(1 << 20, 65536));
            assertArrayEquals(expected, Rig.fileBytes(img, 0, 65536));
        }
    }

    @Test
    void shouldRefuseWithEagainAtDepthAndCompleteTheRest() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (BlockBackend b = open(img); BlockQueue q = b.openQueue(4)) {
            MemorySegment iov = rig.iovecs(0, 4096);
            for (int tag = 0; tag < 4; tag++) {
                assertEquals(0, q.prepareRead(tag, tag * 4096L, iov, 1, 4096));
            }
            assertEquals(-Errno.EAGAIN, q.prepareRead(0, 0, iov, 1, 4096));
            assertEquals(-Errno.EAGAIN, q.prepareFlush(1));
            assertEquals(4, q.inFlight());
            rig.drain(q);
            assertEquals(4, rig.completions);
            assertEquals(0, q.inFlight());
            assertEquals(0, q.prepareFlush(3));
            assertEquals(-Errno.EBUSY, q.prepareFlush(3));
            assertEquals(-Errno.EINVAL, q.prepareFlush(4));
            rig.drain(q);
        }
    }

    @Test
    void shouldWaitForRequestsInFlightWhenClosed() {
        Path img = Rig.image(dir, "d.img", DISK);
        try (BlockBackend b = open(img)) {
            BlockQueue q = b.openQueue(16);
            rig.fill(0, 16 * 4096, 21);
            for (int tag = 0; tag < 16; tag++) {
                assertEquals(0, q.prepareWrite(tag, tag * 4096L, rig.iovecs(tag * 4096L, 4096), 1, 4096));
            }
            assertTrue(q.submit() >= 0);
            q.close();
            assertArrayEquals(rig.bytes(0, 16 * 4096), Rig.fileBytes(img, 0, 16 * 4096));
        }
    }

    @Test
    void shouldReadZerosPastTheEndOfAFileThatShrank() throws IOException {
        Path img = Rig.image(dir, "d.img", DISK);
        try (BlockBackend b = open(img); BlockQueue q = b.openQueue(8)) {
            rig.fill(0, 8192, 13);
            assertEquals(0, rig.write(q, 0, 0, rig.iovecs(0, 8192), 8192));
            try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
                ch.truncate(4196);
            }
            rig.fill(65536, 8192, 99);
            assertEquals(0, rig.read(q, 1, 0, rig.iovecs(65536, 3000, 68536, 3000, 71536, 2192), 8192));
            byte[] expected = rig.bytes(0, 8192);
            Arrays.fill(expected, 4196, 8192, (byte) 0);
            assertArrayEquals(expected, rig.bytes(65536, 8192));
        }
    }

    @Test
    void shouldRefuseWritesWhenReadOnly() throws IOException {
        Path img = Rig.image(dir, "d.img", DISK);
        Files.write(img, new byte[] {1, 2, 3}, StandardOpenOption.WRITE);
        try (BlockBackend b = open(img, true); BlockQueue q = b.openQueue(8)) {
            assertTrue(b.readOnly());
            assertEquals(-Errno.EROFS, q.prepareWrite(0, 0, rig.iovecs(0, 512), 1, 512));
            assertEquals(-Errno.EROFS, q.prepareDiscard(0, 0, 512));
            assertEquals(-Errno.EROFS, q.prepareWriteZeroes(0, 0, 512, true));
            assertEquals(0, q.inFlight());
            assertEquals(0, rig.read(q, 0, 0, rig.iovecs(0, 512), 512));
            assertEquals(2, rig.ram.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1));
        }
    }
}
