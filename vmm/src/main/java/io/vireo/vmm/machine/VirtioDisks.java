package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;

import java.util.ArrayList;
import java.util.List;

/** The virtio-blk part of the machine: one device per {@link DiskConfig}, named {@code disk0, disk1, ...}. */
final class VirtioDisks {

    private VirtioDisks() {
    }

    /** Opens each disk's back end and adds its device to {@code devices}; returns the back ends, in order. */
    static List<BlockBackend> attach(List<DiskConfig> disks, GuestMemory memory, int cpus, VirtioDevices devices) {
        List<BlockBackend> backends = new ArrayList<>();
        int n = 0;
        for (DiskConfig disk : disks) {
            String name = "disk" + n++;
            BlockBackend backend = DiskBackends.open(disk, memory);
            backends.add(backend);
            int queues = disk.queues() > 0 ? disk.queues() : Math.min(cpus, DiskConfig.MAX_QUEUES);
            VirtioBlkDevice blk = new VirtioBlkDevice(backend, disk.serial(), queues);
            devices.add(name, "virtio-blk", backend.describe() + ", " + queues + " queue(s)", blk, blk.faultLog(),
                disk.pollNs(), blk, backend);
        }
        return backends;
    }
}
