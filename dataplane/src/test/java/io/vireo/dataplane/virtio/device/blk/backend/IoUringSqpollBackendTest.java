package io.vireo.dataplane.virtio.device.blk.backend;

import java.nio.file.Path;

/** The contract for io_uring with a kernel SQ polling thread (IORING_SETUP_SQPOLL, 10 ms idle). */
class IoUringSqpollBackendTest extends BlockBackendContractTest {
    @Override
    BlockBackend open(Path image, boolean readOnly) {
        return IoUringBackend.open(image, IoUringOptions.builder().sqpoll(10).readOnly(readOnly).build());
    }
}
