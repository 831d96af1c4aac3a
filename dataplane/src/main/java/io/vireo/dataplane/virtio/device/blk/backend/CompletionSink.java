package io.vireo.dataplane.virtio.device.blk.backend;

/** Receives one finished request of a {@link BlockQueue}: its tag and 0 or {@code -errno}. */
@FunctionalInterface
public interface CompletionSink {
    void complete(int tag, int result);
}
