package io.vireo.dataplane.virtio.device.blk.backend;

import java.nio.file.Path;

/** The contract for io_uring with O_DIRECT off: every request through the page cache. */
class IoUringBufferedBackendTest extends BlockBackendContractTest {
    @Override
    BlockBackend open(Path image, boolean readOnly) {
        return IoUringBackend.open(image, IoUringOptions.builder().direct(IoUringOptions.Direct.OFF)
            .readOnly(readOnly).build());
    }
}
