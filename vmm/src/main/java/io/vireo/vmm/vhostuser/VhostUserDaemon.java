package io.vireo.vmm.vhostuser;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.stats.StatsSink;
import io.vireo.dataplane.vhostuser.VhostUserBackendServer;
import io.vireo.dataplane.virtio.agent.AgentOwnedDevice;
import io.vireo.dataplane.virtio.agent.PolledDevice;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * A {@code vireo vhost-user-*} back end: one device, its polling queue agents and the vhost-user server that hands
 * its queues to one front end at a time. Subclasses own the device and its back end; this owns the agents and the
 * server, the counters by source, and the order things stop in.
 */
public abstract class VhostUserDaemon implements AutoCloseable {
    private final String deviceSource;
    private final DataPlane dataPlane;
    private final VhostUserBackendServer server;
    private final long startNs = System.nanoTime();

    protected VhostUserDaemon(String deviceSource, Served served) {
        this.deviceSource = deviceSource;
        this.dataPlane = served.dataPlane();
        this.server = served.server();
    }

    /** The agents and the server of a started daemon. */
    protected record Served(DataPlane dataPlane, VhostUserBackendServer server) {
    }

    /**
     * Places the device's queues on new agents, binds the socket, starts the agents and serves on a thread of its
     * own; on failure stops what it started (the device is the caller's).
     *
     * @throws IllegalArgumentException for a socket that cannot be used (one-line message)
     */
    protected static Served serve(Path socket, PolledDevice device, String name, long pollNs,
                                  DataPlane.Threads threads, int[] ioCpus, Consumer<String> log) {
        DataPlane dataPlane = new DataPlane(threads, ioCpus);
        try {
            QueueAgent[] owners = AgentOwnedDevice.place(dataPlane, name, device, pollNs);
            VhostUserBackendServer server = new VhostUserBackendServer(socket, device, owners, log);
            server.bind();
            dataPlane.start();
            server.start();
            return new Served(dataPlane, server);
        } catch (RuntimeException e) {
            dataPlane.close();
            throw e;
        }
    }

    /** One line: the device, its back end, queues and socket. */
    public abstract String describe();

    /** The device's counters (its source is the name given to the constructor). */
    protected abstract void reportDevice(StatsSink sink);

    /** Closes the device and its back end, after the session and the agents have stopped. */
    protected abstract void closeDevice();

    public VhostUserBackendServer server() {
        return server;
    }

    /** The counter sources, in report order: the device's, {@code agents}, {@code vhost_user}. */
    public final List<String> sources() {
        return List.of(deviceSource, "agents", "vhost_user");
    }

    /** The counters of {@code source}. */
    public final void report(String source, StatsSink sink) {
        if (source.equals(deviceSource)) {
            reportDevice(sink);
        } else if (source.equals("agents")) {
            dataPlane.report(sink);
        } else {
            sink.counter("sessions", server.sessions());
            sink.counter("messages", server.messages());
            sink.counter("refusals", server.refusals());
        }
    }

    public final long uptimeNs() {
        return System.nanoTime() - startNs;
    }

    /** Ends the session (its rings drained), the agents, then the device and its back end. */
    @Override
    public final void close() {
        server.close();
        dataPlane.close();
        closeDevice();
    }
}
