package io.vireo.vmm.machine;

import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.virtio.device.net.VirtioNetDevice;
import io.vireo.dataplane.virtio.device.net.backend.NetBackend;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;

import java.util.ArrayList;
import java.util.List;

/** The virtio-net part of the machine: one device per {@link NetConfig}, named {@code net0, net1, ...}. */
final class VirtioNets {
    private final List<VirtioNetDevice> devices = new ArrayList<>();

    private VirtioNets() {
    }

    /**
     * Opens each device's back end (a tap: used if it exists, created if not) and adds the device to {@code virtio};
     * its counters go to {@code counters} ({@code netN.pM.*}, {@code netN.ctrl.*}).
     *
     * @throws VireoException (usage) naming the device and why its tap cannot be used
     */
    static VirtioNets attach(List<NetConfig> nets, VirtioDevices virtio, CountersFile counters) {
        VirtioNets all = new VirtioNets();
        for (NetConfig net : nets) {
            int index = all.devices.size();
            String name = "net" + index;
            NetBackend backend = NetBackends.open(net);
            VirtioNetDevice dev;
            try {
                int mtu = NetBackends.mtu(net, backend);
                dev = new VirtioNetDevice(backend, net.macOrDefault(index), net.pairs(), mtu, counters, name);
            } catch (IllegalArgumentException e) {
                backend.close();
                throw new VireoException(ExitStatus.USAGE, "--net " + net.name() + ": " + e.getMessage());
            }
            all.devices.add(dev);
            virtio.add(name, "virtio-net", backend.describe() + ", mac " + NetConfig.format(net.macOrDefault(index))
                + ", " + net.pairs() + " queue pair(s)", dev, dev.faultLog(), net.pollNs(), dev, backend);
        }
        return all;
    }

    /** Counters the devices of {@code nets} keep: for the counters file's size. */
    static int counterCount(List<NetConfig> nets) {
        int n = 0;
        for (NetConfig net : nets) {
            n += (net.pairs() + 1) * io.vireo.dataplane.virtio.device.net.NetCounter.values().length;
        }
        return n;
    }

    List<VirtioNetDevice> devices() {
        return List.copyOf(devices);
    }
}
