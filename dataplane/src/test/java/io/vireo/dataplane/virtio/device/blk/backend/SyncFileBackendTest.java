package io.vireo.dataplane.virtio.device.blk.backend;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SyncFileBackendTest extends BlockBackendContractTest {
    @Override
    BlockBackend open(Path image, boolean readOnly) {
        return SyncFileBackend.open(image, readOnly);
    }

    @Test
    void shouldHaveNoCompletionEventFd() {
        try (BlockBackend b = open(Rig.image(dir, "d.img", DISK), false); BlockQueue q = b.openQueue(4)) {
            assertEquals(-1, q.completionEventFd());
            assertEquals("preadv/pwritev, buffered", b.describe());
        }
    }
}
