package io.vireo.dataplane.virtio.device.blk.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same random mix of writes (aligned and not, one to four segments), discards and write-zeroes, issued in
 * batches through io_uring (O_DIRECT + fixed buffers) and through positional I/O, leaves the same bytes on disk and
 * reads back the same bytes.
 */
class SameBytesTest {
    private static final long DISK = 4 << 20;

    @TempDir
    Path dir;

    @Test
    void shouldLeaveTheSameBytesThroughIoUringAndPositionalIo() throws Exception {
        Path a = Rig.image(dir, "uring.img", DISK);
        Path b = Rig.image(dir, "sync.img", DISK);
        try (Rig rig = new Rig();
             BlockBackend uring = IoUringBackend.open(a, IoUringOptions.builder().fixedBuffers(List.of(rig.ram))
                 .build());
             BlockBackend sync = SyncFileBackend.open(b, false);
             BlockQueue qa = uring.openQueue(16); BlockQueue qb = sync.openQueue(16)) {
            rig.fill(0, 1 << 20, 77);
            SplittableRandom random = new SplittableRandom(20240611);
            for (int batch = 0; batch < 40; batch++) {
                // Requests of one batch do not overlap on disk (virtio gives overlapping requests no order).
                for (int tag = 0; tag < 16; tag++) {
                    long slot = (long) tag * (DISK / 16);
                    long off = slot + (random.nextBoolean() ? 512L * random.nextInt(64) : random.nextInt(40000));
                    off &= ~511L;
                    int kind = random.nextInt(10);
                    if (kind < 7) {
                        int segs = 1 + random.nextInt(4);
                        long[] pairs = new long[2 * segs];
                        long total = 0;
                        for (int s = 0; s < segs; s++) {
                            boolean aligned = random.nextInt(3) > 0;
                            long len = aligned ? 512L * (1 + random.nextInt(16)) : 1 + random.nextInt(6000);
                            pairs[2 * s] = aligned ? 512L * random.nextInt(1500) : random.nextInt(700_000);
                            pairs[2 * s + 1] = len;
                            total += len;
                        }
                        var iov = rig.iovecs(pairs);
                        assertEquals(0, qa.prepareWrite(tag, off, iov, segs, total));
                        assertEquals(0, qb.prepareWrite(tag, off, iov, segs, total));
                    } else if (kind < 9) {
                        long len = 512L * (1 + random.nextInt(32));
                        assertEquals(0, qa.prepareDiscard(tag, off, len));
                        assertEquals(0, qb.prepareDiscard(tag, off, len));
                    } else {
                        long len = 512L * (1 + random.nextInt(32));
                        boolean unmap = random.nextBoolean();
                        assertEquals(0, qa.prepareWriteZeroes(tag, off, len, unmap));
                        assertEquals(0, qb.prepareWriteZeroes(tag, off, len, unmap));
                    }
                }
                rig.drain(qa);
                rig.drain(qb);
                for (int tag = 0; tag < 16; tag++) {
                    assertEquals(0, rig.results[tag], "batch " + batch + " tag " + tag);
                }
            }
            assertArrayEquals(Files.readAllBytes(b), Files.readAllBytes(a));
            long ram = 2 << 20;
            assertEquals(0, rig.read(qa, 0, 0, rig.iovecs(ram, 1 << 20), 1 << 20));
            byte[] viaUring = rig.bytes(ram, 1 << 20);
            assertEquals(0, rig.read(qb, 0, 0, rig.iovecs(ram + 1, 1 << 20), 1 << 20));
            assertArrayEquals(viaUring, rig.bytes(ram + 1, 1 << 20));
        }
    }
}
