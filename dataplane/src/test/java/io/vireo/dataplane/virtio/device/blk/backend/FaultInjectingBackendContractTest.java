package io.vireo.dataplane.virtio.device.blk.backend;

import java.nio.file.Path;

/**
 * The contract through the fault-injecting wrapper (over io_uring, as {@code --disk PATH,fail=...} builds it), with a
 * failing sector no contract test touches: untouched requests and flushes must pass through unchanged.
 */
class FaultInjectingBackendContractTest extends BlockBackendContractTest {
    @Override
    BlockBackend open(Path image, boolean readOnly) {
        return FaultInjectingBackend.of(IoUringBackend.open(image, IoUringOptions.builder().readOnly(readOnly).build()),
            Long.toString(DISK / 512 - 1));
    }
}
