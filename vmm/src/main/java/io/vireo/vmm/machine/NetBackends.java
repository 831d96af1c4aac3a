package io.vireo.vmm.machine;

import io.vireo.dataplane.virtio.device.net.backend.LoopbackNetBackend;
import io.vireo.dataplane.virtio.device.net.backend.NetBackend;
import io.vireo.dataplane.virtio.device.net.backend.TapNetBackend;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;

/** Opens the back end a {@link NetConfig} names: for the machine's devices and for a vhost-user-net daemon. */
public final class NetBackends {
    private NetBackends() {
    }

    /**
     * A loopback, or the tap (used if it exists, created if not) with {@code pairs()} queues.
     *
     * @throws VireoException (usage) in one line naming {@code --net tap=NAME} and why the tap cannot be used
     */
    public static NetBackend open(NetConfig net) {
        if (net.backend() == NetConfig.Backend.LOOPBACK) {
            return new LoopbackNetBackend(net.pairs());
        }
        try {
            return TapNetBackend.open(net.tap(), net.pairs(), net.mtu());
        } catch (IllegalArgumentException e) {
            // "tap NAME: why" from the back end; the user wrote --net tap=NAME.
            String why = e.getMessage();
            String prefix = "tap " + net.tap() + ": ";
            throw new VireoException(ExitStatus.USAGE, "--net " + net.name() + ": "
                + (why.startsWith(prefix) ? why.substring(prefix.length()) : why));
        }
    }

    /** The MTU to offer: the one asked for, else a tap's own, else 0 (none: the driver assumes 1500). */
    public static int mtu(NetConfig net, NetBackend backend) {
        return net.mtu() != 0 ? net.mtu() : backend instanceof TapNetBackend t ? t.mtu() : 0;
    }
}
