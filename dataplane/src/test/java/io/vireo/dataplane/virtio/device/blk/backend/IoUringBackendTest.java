package io.vireo.dataplane.virtio.device.blk.backend;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoUringBackendTest extends BlockBackendContractTest {
    @Override
    BlockBackend open(Path image, boolean readOnly) {
        return IoUringBackend.open(image, IoUringOptions.builder().readOnly(readOnly).build());
    }

    @Test
    void shouldRoundTripMultiSegmentWritesAndReads() {
        Path img = Rig.image(dir, "disk.img", 1 << 20);
        try (Rig rig = new Rig(); IoUringBackend b = IoUringBackend.open(img, IoUringOptions.defaults());
             BlockQueue q = b.openQueue(16)) {
            assertTrue(b.describe().startsWith("io_uring, "), b.describe());
            rig.fill(0, 8192, 7);
            MemorySegment out = rig.iovecs(0, 4096, 4096, 4096);
            assertEquals(0, rig.write(q, 3, 65536, out, 8192));
            MemorySegment in = rig.iovecs(1 << 20, 512, (1 << 20) + 4096, 8192 - 512);
            assertEquals(0, rig.read(q, 5, 65536, in, 8192));
            assertArrayEquals(rig.bytes(0, 512), rig.bytes(1 << 20, 512));
            assertArrayEquals(rig.bytes(512, 8192 - 512), rig.bytes((1 << 20) + 4096, 8192 - 512));
            assertArrayEquals(rig.bytes(0, 8192), Rig.fileBytes(img, 65536, 8192));
        }
    }
}
