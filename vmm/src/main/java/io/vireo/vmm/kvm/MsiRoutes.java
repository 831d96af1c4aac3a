package io.vireo.vmm.kvm;

import io.vireo.sys.Kvm;
import io.vireo.sys.KvmIrqRoutingEntryLayout;
import io.vireo.sys.KvmIrqRoutingLayout;
import io.vireo.sys.KvmIrqfdLayout;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * MSI-X vectors as KVM GSIs with irqfds: each vector gets a GSI (from 24 up, above the IOAPIC pins)
 * and an eventfd registered with KVM_IRQFD, so raising it from a device worker is one {@code write()}:
 * no lock, no ioctl, no user-space exit. When the guest programs a vector, the whole routing table is
 * set again (KVM_SET_GSI_ROUTING replaces it): KVM's default routes for GSI 0-23 (PIC and IOAPIC
 * pins, arch/x86/kvm/irq_comm.c default_routing) plus one MSI route per programmed vector.
 */
public final class MsiRoutes implements AutoCloseable {
    private static final int FIRST_MSI_GSI = 24;
    private static final int IOAPIC_PINS = 24;
    private static final int PIC_IRQS = 16;

    private final Vm vm;
    private final int maxGsis;
    private long[] address = new long[0];
    private int[] data = new int[0];
    private boolean[] valid = new boolean[0];
    private int[] eventFds = new int[0];
    private int next = FIRST_MSI_GSI;

    public MsiRoutes(Vm vm) {
        this.vm = vm;
        this.maxGsis = (int) Math.min(4096, vm.kvm().checkExtension(Kvm.KVM_CAP_IRQ_ROUTING));
    }

    /** Reserves {@code count} GSIs with their irqfds; returns the first. Before the guest runs. */
    public synchronized int allocate(int count) {
        if (next + count > maxGsis) {
            throw new IllegalStateException("out of GSIs: " + (next + count) + " needed, KVM allows " + maxGsis);
        }
        int first = next;
        next += count;
        int n = next - FIRST_MSI_GSI;
        address = java.util.Arrays.copyOf(address, n);
        data = java.util.Arrays.copyOf(data, n);
        valid = java.util.Arrays.copyOf(valid, n);
        eventFds = java.util.Arrays.copyOf(eventFds, n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment irqfd = arena.allocate(KvmIrqfdLayout.SIZE, 8);
            for (int gsi = first; gsi < next; gsi++) {
                int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
                eventFds[gsi - FIRST_MSI_GSI] = fd;
                irqfd.fill((byte) 0);
                irqfd.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqfdLayout.FD_OFFSET, fd);
                irqfd.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqfdLayout.GSI_OFFSET, gsi);
                Libc.ioctl(vm.fd(), Kvm.KVM_IRQFD, irqfd, "KVM_IRQFD");
            }
        }
        return first;
    }

    /** The guest programmed (or reprogrammed) the message of {@code gsi}. Control path (vCPU thread). */
    public synchronized void setRoute(int gsi, long msiAddress, int msiData) {
        int i = gsi - FIRST_MSI_GSI;
        if (valid[i] && address[i] == msiAddress && data[i] == msiData) {
            return;
        }
        address[i] = msiAddress;
        data[i] = msiData;
        valid[i] = true;
        commit();
    }

    /**
     * The irqfd of {@code gsi}: a write to it raises the GSI inside KVM. Handed to another process (a vhost-user back
     * end's call fd) so that its interrupts reach the guest with no thread of ours in between.
     */
    public synchronized int eventFd(int gsi) {
        return eventFds[gsi - FIRST_MSI_GSI];
    }

    /** Raises {@code gsi}: one 8-byte write to its irqfd. Any thread; allocation-free. */
    public void signal(int gsi) {
        Libc.writeRaw(eventFds[gsi - FIRST_MSI_GSI], ONE.get(), 8);
    }

    private static final ThreadLocal<MemorySegment> ONE = ThreadLocal.withInitial(() -> {
        MemorySegment s = Arena.global().allocate(8, 8);
        s.set(ValueLayout.JAVA_LONG, 0, 1L);
        return s;
    });

    private void commit() {
        int msis = 0;
        for (boolean v : valid) {
            msis += v ? 1 : 0;
        }
        int entries = IOAPIC_PINS + PIC_IRQS + msis;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment table = arena.allocate(KvmIrqRoutingLayout.sizeFor(entries), 8);
            table.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqRoutingLayout.NR_OFFSET, entries);
            int e = 0;
            for (int gsi = 0; gsi < IOAPIC_PINS; gsi++) {
                irqchip(table, e++, gsi, Kvm.KVM_IRQCHIP_IOAPIC, gsi);
                if (gsi < PIC_IRQS) {
                    irqchip(table, e++, gsi, gsi < 8 ? Kvm.KVM_IRQCHIP_PIC_MASTER : Kvm.KVM_IRQCHIP_PIC_SLAVE,
                        gsi % 8);
                }
            }
            for (int i = 0; i < valid.length; i++) {
                if (valid[i]) {
                    long at = entry(e++);
                    table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.GSI_OFFSET,
                        FIRST_MSI_GSI + i);
                    table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.TYPE_OFFSET,
                        Kvm.KVM_IRQ_ROUTING_MSI);
                    table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.MSI_ADDRESS_LO_OFFSET,
                        (int) address[i]);
                    table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.MSI_ADDRESS_HI_OFFSET,
                        (int) (address[i] >>> 32));
                    table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.MSI_DATA_OFFSET, data[i]);
                }
            }
            Libc.ioctl(vm.fd(), Kvm.KVM_SET_GSI_ROUTING, table, "KVM_SET_GSI_ROUTING");
        }
    }

    private static long entry(int index) {
        return KvmIrqRoutingLayout.ENTRIES_OFFSET + (long) index * KvmIrqRoutingEntryLayout.SIZE;
    }

    private static void irqchip(MemorySegment table, int index, int gsi, int chip, int pin) {
        long at = entry(index);
        table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.GSI_OFFSET, gsi);
        table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.TYPE_OFFSET,
            Kvm.KVM_IRQ_ROUTING_IRQCHIP);
        table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.IRQCHIP_IRQCHIP_OFFSET, chip);
        table.set(ValueLayout.JAVA_INT_UNALIGNED, at + KvmIrqRoutingEntryLayout.IRQCHIP_PIN_OFFSET, pin);
    }

    @Override
    public synchronized void close() {
        for (int fd : eventFds) {
            Libc.closeQuietly(fd);
        }
    }
}
