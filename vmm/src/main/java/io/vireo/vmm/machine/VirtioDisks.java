package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.pci.MsixTable;
import io.vireo.dataplane.virtio.device.blk.FileBackend;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.transport.pci.VirtioPciFunction;
import io.vireo.vmm.cli.DiskSpec;
import io.vireo.vmm.kvm.Vm;
import io.vireo.vmm.pci.PciBus;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts one transitional virtio-blk PCI function per {@code --disk} on the bus. In this first cut a
 * queue notify is an MMIO (or legacy PIO) exit handled on the vCPU thread, and an interrupt is one
 * KVM_SIGNAL_MSI with the address/data the guest programmed; the polling data plane replaces both
 * with ioeventfds, irqfds and queue agents.
 */
final class VirtioDisks {
    private VirtioDisks() {
    }

    /** Creates the disks; the backends are added to {@code closeables} (files closed at exit). */
    static List<VirtioPciFunction> attach(List<DiskSpec> disks, GuestMemory memory, Vm vm, PciBus bus,
                                          List<AutoCloseable> closeables) {
        List<VirtioPciFunction> functions = new ArrayList<>();
        for (DiskSpec disk : disks) {
            FileBackend backend = new FileBackend(disk.path(), disk.readOnly());
            closeables.add(backend::close);
            VirtioBlkDevice device = new VirtioBlkDevice(backend, disk.serial());
            VirtioPciFunction[] self = new VirtioPciFunction[1];
            VirtioPciFunction fn = new VirtioPciFunction(device, memory, vector -> {
                MsixTable table = self[0].msix().table();
                vm.signalMsi(table.address(vector), table.data(vector));
            }, true);
            self[0] = fn;
            bus.addFunction(fn);
            functions.add(fn);
        }
        return functions;
    }
}
