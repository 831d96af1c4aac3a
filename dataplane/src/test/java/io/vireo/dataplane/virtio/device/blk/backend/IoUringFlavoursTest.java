package io.vireo.dataplane.virtio.device.blk.backend;

import java.nio.file.Path;

/** The contract again for the io_uring variants: buffered only, fixed buffers, SQPOLL. */
class IoUringFlavoursTest {

    static final class BufferedTest extends BlockBackendContractTest {
        @Override
        BlockBackend open(Path image, boolean readOnly) {
            return IoUringBackend.open(image, IoUringOptions.builder().direct(IoUringOptions.Direct.OFF)
                .readOnly(readOnly).build());
        }
    }

    /** Guest RAM (the rig's arena) registered as fixed buffers: single-segment requests use READ/WRITE_FIXED. */
    static final class FixedBuffersTest extends BlockBackendContractTest {
        @Override
        BlockBackend open(Path image, boolean readOnly) {
            return IoUringBackend.open(image, IoUringOptions.builder().fixedBuffers(java.util.List.of(rig.ram))
                .readOnly(readOnly).build());
        }
    }

    static final class SqpollTest extends BlockBackendContractTest {
        @Override
        BlockBackend open(Path image, boolean readOnly) {
            return IoUringBackend.open(image, IoUringOptions.builder().sqpoll(10).readOnly(readOnly).build());
        }
    }
}
