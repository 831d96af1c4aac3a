package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.RequestTrace;
import io.vireo.dataplane.virtio.device.blk.BlkCounter;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;

import java.util.ArrayList;
import java.util.List;

/** The virtio-blk part of the machine: one device per {@link DiskConfig}, named {@code disk0, disk1, ...}. */
final class VirtioDisks {
    private final List<VirtioBlkDevice> blks = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<BlockBackend> backends = new ArrayList<>();

    private VirtioDisks() {
    }

    /**
     * Opens each disk's back end and adds its device to {@code devices}; its queues' counters go to {@code counters}
     * ({@code diskN.qM.*}), every request to {@code trace} when there is one.
     */
    static VirtioDisks attach(List<DiskConfig> disks, GuestMemory memory, int cpus, VirtioDevices devices,
                              CountersFile counters, RequestTrace trace) {
        VirtioDisks all = new VirtioDisks();
        int n = 0;
        for (DiskConfig disk : disks) {
            int index = all.names.size();
            String name = "disk" + index;
            BlockBackend backend = DiskBackends.open(disk, memory);
            int queues = queueCount(disk, cpus);
            VirtioBlkDevice blk = new VirtioBlkDevice(backend, disk.serial(), queues, counters, name);
            if (trace != null) {
                blk.trace(trace, index);
            }
            all.backends.add(backend);
            all.blks.add(blk);
            all.names.add(name);
            devices.add(name, "virtio-blk", backend.describe() + ", " + queues + " queue(s)", blk, blk.faultLog(),
                disk.pollNs(), blk, backend);
        }
        return all;
    }

    /** The request queues of {@code disk} on a machine of {@code cpus} vCPUs. */
    static int queueCount(DiskConfig disk, int cpus) {
        return disk.queues() > 0 ? disk.queues() : Math.min(cpus, DiskConfig.MAX_QUEUES);
    }

    /** Every queue, named {@code diskN.qM}, with its service times. */
    List<LiveStats.Queue> queues() {
        List<LiveStats.Queue> all = new ArrayList<>();
        for (int i = 0; i < blks.size(); i++) {
            for (int q = 0; q < blks.get(i).queueCount(); q++) {
                all.add(new LiveStats.Queue(names.get(i) + ".q" + q, blks.get(i).serviceTimes(q)));
            }
        }
        return all;
    }

    /** Requests popped on every disk. */
    /** A driver has activated one of the disks (DRIVER_OK): its first request is at most moments away. */
    boolean anyActivated() {
        for (VirtioBlkDevice b : blks) {
            if (b.everActivated()) {
                return true;
            }
        }
        return false;
    }

    long requests() {
        long n = 0;
        for (VirtioBlkDevice b : blks) {
            n += b.sum(BlkCounter.REQUESTS);
        }
        return n;
    }

    /** The disks' back ends, in order. */
    List<BlockBackend> backends() {
        return List.copyOf(backends);
    }
}
