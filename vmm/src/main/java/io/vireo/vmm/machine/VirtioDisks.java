package io.vireo.vmm.machine;

import io.vireo.dataplane.agent.DeviceWorker;
import io.vireo.dataplane.agent.WorkerOwnedDevice;
import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.pci.MsixVectorListener;
import io.vireo.dataplane.virtio.device.blk.FileBackend;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.transport.pci.VirtioPciFunction;
import io.vireo.vmm.cli.DiskSpec;
import io.vireo.vmm.kvm.MsiRoutes;
import io.vireo.vmm.kvm.Vm;
import io.vireo.vmm.pci.BarMappingListener;
import io.vireo.vmm.pci.PciAddress;
import io.vireo.vmm.pci.PciBarMapper;
import io.vireo.vmm.pci.PciBus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts one transitional virtio-blk PCI function per {@code --disk} on the bus, each run by its own
 * {@link DeviceWorker}. Every queue's notify address (modern: in the notify BAR; legacy: QUEUE_NOTIFY
 * in the I/O BAR, matched on the queue index) is a KVM ioeventfd wherever the guest puts the BAR, so
 * a kick never exits to user space. Each MSI-X vector is a KVM GSI routed to the message the guest
 * programmed, raised by one write to its irqfd ({@link MsiRoutes}).
 */
final class VirtioDisks {
    private VirtioDisks() {
    }

    /** Creates the disks; the backends are added to {@code closeables} (files closed at exit). */
    static List<WorkerOwnedDevice> attach(List<DiskSpec> disks, GuestMemory memory, Vm vm, PciBus bus,
                                          PciBarMapper mapper, List<AutoCloseable> closeables) {
        List<WorkerOwnedDevice> devices = new ArrayList<>();
        MsiRoutes routes = new MsiRoutes(vm);
        closeables.add(routes);
        Map<VirtioPciFunction, DeviceWorker> workers = new HashMap<>();
        for (DiskSpec disk : disks) {
            FileBackend backend = new FileBackend(disk.path(), disk.readOnly());
            closeables.add(backend::close);
            VirtioBlkDevice blk = new VirtioBlkDevice(backend, disk.serial());
            WorkerOwnedDevice device = new WorkerOwnedDevice(blk);
            DeviceWorker worker = new DeviceWorker(blk, "virtio-blk-" + devices.size());
            device.attach(worker);
            // Closed before the backend (closeables close in reverse order of creation by the machine).
            closeables.add(0, worker);
            int[] firstGsi = new int[1];
            VirtioPciFunction fn = new VirtioPciFunction(device, memory, vector -> routes.signal(firstGsi[0] + vector),
                true);
            firstGsi[0] = routes.allocate(fn.msix().table().vectors());
            fn.setMsixVectorListener(new MsixVectorListener() {
                @Override
                public void vectorChanged(int vector, long address, int data, boolean masked) {
                    if (address != 0) {
                        routes.setRoute(firstGsi[0] + vector, address, data);
                    }
                }

                @Override
                public void functionChanged(boolean enabled, boolean functionMasked) {
                    // Masking is the transport's: it raises only deliverable vectors, else sets pending.
                }

                @Override
                public void deliverPending(int vector) {
                    routes.signal(firstGsi[0] + vector);
                }
            });
            bus.addFunction(fn);
            workers.put(fn, worker);
            devices.add(device);
        }
        mapper.addListener(new NotifyEventFds(vm, workers));
        return devices;
    }

    /** Follows the notify BARs wherever the guest maps them, moving the queues' ioeventfds along. */
    private record NotifyEventFds(Vm vm, Map<VirtioPciFunction, DeviceWorker> workers) implements BarMappingListener {
        @Override
        public void mapped(PciAddress address, PciFunction function, int bar, long base, long sizeBytes, boolean io) {
            update(function, bar, base, false);
        }

        @Override
        public void unmapped(PciAddress address, PciFunction function, int bar, long base, long sizeBytes,
                             boolean io) {
            update(function, bar, base, true);
        }

        private void update(PciFunction function, int bar, long base, boolean deassign) {
            if (!(function instanceof VirtioPciFunction fn) || !workers.containsKey(fn)) {
                return;
            }
            DeviceWorker worker = workers.get(fn);
            for (int q = 0; q < worker.queueCount(); q++) {
                if (bar == fn.notifyBar()) {
                    vm.ioeventfd(base + fn.notifyOffset(q), 0, worker.queueEventFd(q), false, -1, deassign);
                } else if (bar == fn.legacyBar()) {
                    // Legacy QUEUE_NOTIFY is one 16-bit port for all queues: the queue index is the data.
                    vm.ioeventfd(base + fn.legacyNotifyOffset(), 2, worker.queueEventFd(q), true, q, deassign);
                }
            }
        }
    }
}
