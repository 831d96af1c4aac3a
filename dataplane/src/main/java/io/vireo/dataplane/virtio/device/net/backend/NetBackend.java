package io.vireo.dataplane.virtio.device.net.backend;

/**
 * Where a virtio-net device's frames go and come from: a tap, or a loopback that reflects them. One {@link NetPort}
 * per queue pair. The device calls {@link #negotiated} and {@link #activePairs} on a queue agent's thread (the control
 * path): implementations keep those safe against the ports' traffic on other agents.
 */
public interface NetBackend extends AutoCloseable {

    /** Queue pairs it can serve: {@link #port} accepts 0 to this - 1. */
    int maxPairs();

    /**
     * The virtio-net offload features it can carry ({@link NetFeatures}: CSUM,
     * GUEST_CSUM, HOST_/GUEST_TSO4/6, USO); the device offers these.
     */
    long offloadFeatures();

    NetPort port(int pair);

    /** The driver's features at DRIVER_OK: what it can receive (GUEST_*) sets what the back end may hand it. */
    void negotiated(long features);

    /** The driver uses pairs 0 to {@code pairs} - 1 only (MQ VQ_PAIRS_SET; 1 before): no frame may wait elsewhere. */
    void activePairs(int pairs);

    /** One line for the reports: {@code tap tap0 (2 queues, mtu 1500)}. */
    String describe();

    @Override
    void close();
}
