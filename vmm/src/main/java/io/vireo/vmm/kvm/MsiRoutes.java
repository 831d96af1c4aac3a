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
    // ORDERING: replaced whole under the lock, read by signal() on agent threads without it.
    private volatile int[] eventFds = new int[0];
    private int next = FIRST_MSI_GSI;
    /** GSI blocks given back by {@link #release}, by size: reused before new GSIs are taken. */
    private final java.util.Map<Integer, java.util.ArrayDeque<Integer>> freed = new java.util.HashMap<>();

    public MsiRoutes(Vm vm) {
        this.vm = vm;
        this.maxGsis = (int) Math.min(4096, vm.kvm().checkExtension(Kvm.KVM_CAP_IRQ_ROUTING));
    }

    /**
     * Reserves {@code count} GSIs with their irqfds; returns the first. Before the guest runs, or for a hot-added
     * device (a block {@link #release}d earlier is reused first). The arrays {@link #signal} reads are replaced whole:
     * an agent that still holds the old one finds its own eventfds in it.
     */
    public synchronized int allocate(int count) {
        java.util.ArrayDeque<Integer> reuse = freed.get(count);
        if (reuse != null && !reuse.isEmpty()) {
            int first = reuse.pop();
            assignIrqfds(first, first + count);
            return first;
        }
        if (next + count > maxGsis) {
            throw new IllegalStateException("out of GSIs: " + (next + count) + " needed, KVM allows " + maxGsis);
        }
        int first = next;
        next += count;
        int n = next - FIRST_MSI_GSI;
        address = java.util.Arrays.copyOf(address, n);
        data = java.util.Arrays.copyOf(data, n);
        valid = java.util.Arrays.copyOf(valid, n);
        int[] fds = java.util.Arrays.copyOf(eventFds, n);
        java.util.Arrays.fill(fds, first - FIRST_MSI_GSI, n, -1);
        eventFds = fds;
        assignIrqfds(first, next);
        return first;
    }

    private void assignIrqfds(int from, int to) {
        int[] fds = eventFds.clone();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment irqfd = arena.allocate(KvmIrqfdLayout.SIZE, 8);
            for (int gsi = from; gsi < to; gsi++) {
                int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
                fds[gsi - FIRST_MSI_GSI] = fd;
                irqfd.fill((byte) 0);
                irqfd.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqfdLayout.FD_OFFSET, fd);
                irqfd.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqfdLayout.GSI_OFFSET, gsi);
                Libc.ioctl(vm.fd(), Kvm.KVM_IRQFD, irqfd, "KVM_IRQFD");
            }
        }
        eventFds = fds;
    }

    /**
     * Gives back {@code count} GSIs from {@code first} (a removed device's, whose agents no longer signal them): each
     * irqfd is deassigned and closed and its route dropped, and the block is reused by the next {@link #allocate} of
     * the same size.
     */
    public synchronized void release(int first, int count) {
        boolean routed = false;
        int[] fds = eventFds.clone();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment irqfd = arena.allocate(KvmIrqfdLayout.SIZE, 8);
            for (int gsi = first; gsi < first + count; gsi++) {
                int i = gsi - FIRST_MSI_GSI;
                irqfd.fill((byte) 0);
                irqfd.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqfdLayout.FD_OFFSET, fds[i]);
                irqfd.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqfdLayout.GSI_OFFSET, gsi);
                irqfd.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqfdLayout.FLAGS_OFFSET, Kvm.KVM_IRQFD_FLAG_DEASSIGN);
                Libc.ioctl(vm.fd(), Kvm.KVM_IRQFD, irqfd, "KVM_IRQFD deassign");
                Libc.closeQuietly(fds[i]);
                fds[i] = -1;
                routed |= valid[i];
                valid[i] = false;
            }
        }
        eventFds = fds;
        if (routed) {
            commit();
        }
        freed.computeIfAbsent(count, k -> new java.util.ArrayDeque<>()).push(first);
    }

    /** Open irqfds (for leak tests). */
    public synchronized int irqfds() {
        int n = 0;
        for (int fd : eventFds) {
            n += fd >= 0 ? 1 : 0;
        }
        return n;
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
            if (fd >= 0) {
                Libc.closeQuietly(fd);
            }
        }
    }
}
