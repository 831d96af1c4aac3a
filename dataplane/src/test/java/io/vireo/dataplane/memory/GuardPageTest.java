package io.vireo.dataplane.memory;

import io.vireo.dataplane.uring.IoUring;
import io.vireo.sys.Errno;
import io.vireo.sys.IoUringAbi;
import io.vireo.sys.IoVecLayout;
import io.vireo.sys.Libc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guest RAM regions sit between PROT_NONE guard pages (issue 18): raw host addresses that a validation bug would let
 * run past a region reach only inaccessible pages, so the kernel answers EFAULT (a device completes such a request with
 * IOERR) and never reads or writes the JVM's memory. Aimed at both edges of both regions (below and above the PCI
 * hole), through {@code preadv}/{@code pwritev} and io_uring.
 */
class GuardPageTest {
    private static final long RAM = MemfdGuestMemory.PCI_HOLE_START + (4L << 20);
    private static final int LEN = 4096;

    @TempDir
    Path dir;

    @Test
    void shouldFaultWhenIoIsAimedAtTheGuardPagesAroundEveryRegion() throws IOException {
        byte[] pattern = new byte[64 * 1024];
        Arrays.fill(pattern, (byte) 0x6b);
        Path file = dir.resolve("backing");
        Files.write(file, pattern);
        int fd = Libc.open(file.toString(), Libc.O_RDWR);
        try (MemfdGuestMemory mem = MemfdGuestMemory.allocate(RAM); Arena arena = Arena.ofConfined();
             IoUring ring = new IoUring(8, 0, 0)) {
            assertEquals(2, mem.regionCount(), "RAM above the hole: two regions");
            MemorySegment iov = arena.allocate(IoVecLayout.LAYOUT);
            int cases = 0;
            for (int r = 0; r < mem.regionCount(); r++) {
                MemorySegment seg = mem.region(r).segment();
                long start = seg.address();
                long end = start + seg.byteSize();
                seg.asSlice(0, LEN).fill((byte) 0);
                seg.asSlice(seg.byteSize() - LEN, LEN).fill((byte) 0);
                long[] outside = {start - LEN, start - MemfdGuestMemory.GUARD_BYTES, end,
                    end + MemfdGuestMemory.GUARD_BYTES - LEN};
                for (long addr : outside) {
                    IoVecLayout.set(iov, 0, addr, LEN);
                    assertEquals(-Errno.EFAULT, Libc.preadvRaw(fd, iov, 1, 0), "preadv into the guard at 0x"
                        + Long.toHexString(addr));
                    assertEquals(-Errno.EFAULT, Libc.pwritevRaw(fd, iov, 1, 0), "pwritev from the guard");
                    assertEquals(-Errno.EFAULT, uring(ring, IoUringAbi.IORING_OP_READV, fd, iov), "io_uring READV");
                    assertEquals(-Errno.EFAULT, uring(ring, IoUringAbi.IORING_OP_WRITEV, fd, iov),
                        "io_uring WRITEV");
                    cases += 4;
                }
                // Straddling the end: the kernel stops at the guard (short count or EFAULT), nothing beyond.
                IoVecLayout.set(iov, 0, end - 512, LEN);
                long rc = Libc.preadvRaw(fd, iov, 1, 0);
                assertTrue(rc == 512 || rc == -Errno.EFAULT, "straddling read: " + rc);
                byte[] tail = seg.asSlice(seg.byteSize() - 512, 512).toArray(ValueLayout.JAVA_BYTE);
                if (rc == 512) {
                    assertArrayEquals(Arrays.copyOf(pattern, 512), tail);
                }
                int res = uring(ring, IoUringAbi.IORING_OP_READV, fd, iov);
                assertTrue(res == 512 || res == -Errno.EFAULT, "straddling io_uring read: " + res);
                // Straddling the start from below.
                IoVecLayout.set(iov, 0, start - 512, LEN);
                assertEquals(-Errno.EFAULT, Libc.preadvRaw(fd, iov, 1, 0), "a read starting in the guard");
                cases += 3;
            }
            byte[] after = Files.readAllBytes(file);
            assertArrayEquals(pattern, after, "no write from a guard page reached the file");
            System.out.printf("guard pages: %d requests aimed at the edges of %d regions: EFAULT or stopped at the"
                + " edge%n", cases, mem.regionCount());
        } finally {
            Libc.close(fd);
        }
    }

    private static int uring(IoUring ring, int opcode, int fd, MemorySegment iov) {
        assertTrue(ring.prepare(opcode, 0, fd, 0, iov.address(), 1, 0, 7, 0));
        assertEquals(1, ring.submit());
        int head = ring.cqHead();
        while (ring.cqTailAcquire() == head) {
            ring.waitCompletions(1);
        }
        int res = ring.cqeRes(head);
        ring.putCqHeadRelease(head + 1);
        return res;
    }
}
