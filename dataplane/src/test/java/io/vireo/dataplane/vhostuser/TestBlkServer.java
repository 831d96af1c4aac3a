package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.NullBackend;

import java.nio.file.Path;
import java.util.function.Consumer;

/** Test: a started vhost-user server for a 1 MiB null-backed virtio-blk device ("vhost-test", 2 queues, 1 agent). */
final class TestBlkServer implements AutoCloseable {
    private final NullBackend backend = new NullBackend(1 << 20, false);
    private final VirtioBlkDevice device = new VirtioBlkDevice(backend, "vhost-test", 2);
    private final DataPlane dataPlane = new DataPlane(DataPlane.Threads.PER_DEVICE, new int[0]);
    final VhostUserBackendServer server;

    TestBlkServer(Path socket, Consumer<String> log) {
        QueueAgent[] owners = dataPlane.place("disk0", new PolledQueue[] {device.polledQueue(0),
            device.polledQueue(1)}, 1_000_000);
        dataPlane.start();
        server = new VhostUserBackendServer(socket, device, owners, log);
        server.start();
    }

    @Override
    public void close() {
        server.close();
        dataPlane.close();
        device.close();
        backend.close();
    }
}
