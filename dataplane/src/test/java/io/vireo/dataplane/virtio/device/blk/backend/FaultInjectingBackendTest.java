package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultInjectingBackendTest {
    @TempDir
    Path dir;

    @Test
    void shouldFailExactlyTheRequestsThatTouchAFailingSector() {
        Path img = Rig.image(dir, "d.img", 1 << 20);
        try (Rig rig = new Rig();
             FaultInjectingBackend b = FaultInjectingBackend.of(IoUringBackend.open(img, IoUringOptions.defaults()),
                 "16,100-103");
             BlockQueue q = b.openQueue(16)) {
            assertTrue(b.describe().endsWith(", failing sectors 16,100-103"), b.describe());
            rig.fill(0, 65536, 2);
            MemorySegment iov = rig.iovecs(0, 4096);
            assertEquals(0, q.prepareWrite(0, 0, iov, 1, 4096));            // sectors 0-7: passes
            assertEquals(0, q.prepareWrite(1, 8 * 512, iov, 1, 4096));      // 8-15: passes (16 is just after)
            assertEquals(0, q.prepareWrite(2, 9 * 512, iov, 1, 4096));      // 9-16: fails
            assertEquals(0, q.prepareRead(3, 100 * 512, rig.iovecs(8192, 512), 1, 512)); // 100: fails
            assertEquals(0, q.prepareDiscard(4, 96 * 512, 2048));           // 96-99: passes
            assertEquals(0, q.prepareWriteZeroes(5, 103 * 512, 512, true)); // 103: fails
            assertEquals(0, q.prepareDiscard(6, 0, 1 << 20));               // everything: fails
            assertEquals(0, q.prepareFlush(7));                             // not sector-addressed: passes
            assertEquals(8, q.inFlight());
            rig.drain(q);
            int[] expected = {0, 0, -Errno.EIO, -Errno.EIO, 0, -Errno.EIO, -Errno.EIO, 0};
            for (int tag = 0; tag < expected.length; tag++) {
                assertEquals(expected[tag], rig.results[tag], "tag " + tag);
            }
            assertEquals(4, b.injectedFailures());
            // The failed write never reached the file: sectors 9-16 hold what the write of tag 1 put there.
            assertArrayEquals(rig.bytes(512, 3584), Rig.fileBytes(img, 9 * 512, 3584));
            assertArrayEquals(new byte[512], Rig.fileBytes(img, 16 * 512, 512));
        }
    }

    @Test
    void shouldCountInjectedFailuresTowardsDepthAndWakeASleepingWorker() {
        try (Rig rig = new Rig(); FaultInjectingBackend b = new FaultInjectingBackend(new NullBackend(1 << 20),
            SectorSet.parse("0")); BlockQueue q = b.openQueue(2)) {
            assertEquals("null, failing sectors 0", b.describe());
            assertEquals(0, q.prepareDiscard(0, 0, 512));
            assertEquals(0, q.prepareDiscard(1, 512, 512));
            assertEquals(-Errno.EAGAIN, q.prepareFlush(0));
            assertEquals(2, q.submit());
            assertEquals(2, q.reap(rig));
            assertEquals(-Errno.EIO, rig.results[0]);
            assertEquals(0, rig.results[1]);
            assertEquals(1, b.injectedFailures());
        }
    }
}
