package io.vireo.dataplane.virtio.device.blk.backend;

import java.nio.file.Path;
import java.util.List;

/** The contract for io_uring with guest RAM (the rig's arena) registered: one-segment requests use READ/WRITE_FIXED. */
class IoUringFixedBuffersBackendTest extends BlockBackendContractTest {
    @Override
    BlockBackend open(Path image, boolean readOnly) {
        return IoUringBackend.open(image, IoUringOptions.builder().fixedBuffers(List.of(rig.ram))
            .readOnly(readOnly).build());
    }
}
