package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciConfigSpace;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.pci.PciHeaderLayout;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Keeps the MMIO and port dispatch in step with the guest's BAR programming: a BAR is mapped while its
 * address is non-zero and its space is enabled in the command register (PCI 3.0 6.2.2: memory/I/O space
 * bits gate decoding), and unmapped otherwise. So the transient addresses of the sizing protocol, written
 * while Linux has decoding off, are never mapped.
 *
 * <p>A guest may program a BAR over another range; that BAR then stays unmapped (real hardware would have
 * two devices answer, which is undefined) and a warning names both. BARs over RAM are harmless: KVM serves
 * RAM before any exit reaches us.
 */
public final class PciBarMapper {
    private static final Logger LOG = System.getLogger(PciBarMapper.class.getName());

    private final MmioBus memory;
    private final MmioBus ports;
    private final List<BarMappingListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<PciFunction, Tracker> trackers = new ConcurrentHashMap<>();

    /**
     * @param memory the MMIO dispatch the vCPU loop consults on MMIO exits
     * @param ports  the port dispatch inside the {@link PciIoWindow}
     */
    public PciBarMapper(MmioBus memory, MmioBus ports) {
        this.memory = memory;
        this.ports = ports;
    }

    public void addListener(BarMappingListener l) {
        listeners.add(l);
    }

    /** Follows every function on {@code bus} (call after assigning BARs, before the guest runs). */
    public void attach(PciBus bus) {
        for (PciBus.Attached at : bus.functions()) {
            attach(at.address(), at.function());
        }
    }

    /** Follows every function of every segment (call after assigning BARs, before the guest runs). */
    public void attach(PciSegments segments) {
        for (int s = 0; s < segments.count(); s++) {
            attach(segments.bus(s));
        }
    }

    /** Follows one function's BARs from now on, mapping what is already enabled. */
    public void attach(PciAddress address, PciFunction f) {
        Tracker t = new Tracker(address, f);
        trackers.put(f, t);
        f.config().addBarListener((bar, oldAddr, newAddr) -> t.refresh());
        f.config().addCommandListener((oldCommand, newCommand) -> t.refresh());
        // Lock order is always config space, then tracker: listeners already run under the config lock.
        synchronized (f.config()) {
            t.refresh();
        }
    }

    /**
     * Stops following {@code f} (a removed function): its mapped BARs are unmapped (listeners told, so ioeventfds go)
     * and later config writes to it map nothing. False if it was not followed.
     */
    public boolean detach(PciFunction f) {
        Tracker t = trackers.remove(f);
        if (t == null) {
            return false;
        }
        synchronized (f.config()) {
            t.detach();
        }
        return true;
    }

    /** The mapped state of one function's BARs. */
    private final class Tracker {
        private final PciAddress address;
        private final PciFunction function;
        private final long[] mappedAt = new long[PciHeaderLayout.BAR_COUNT];
        private boolean detached;

        Tracker(PciAddress address, PciFunction function) {
            this.address = address;
            this.function = function;
        }

        synchronized void detach() {
            detached = true;
            PciConfigSpace c = function.config();
            for (int i = 0; i < PciHeaderLayout.BAR_COUNT; i++) {
                PciBar bar = c.bar(i);
                if (bar != null) {
                    unmap(i, bar);
                }
            }
        }

        private void unmap(int i, PciBar bar) {
            if (mappedAt[i] != 0) {
                (bar.isIo() ? ports : memory).unregister(mappedAt[i]);
                for (BarMappingListener l : listeners) {
                    l.unmapped(address, function, i, mappedAt[i], bar.sizeBytes(), bar.isIo());
                }
                mappedAt[i] = 0;
            }
        }

        synchronized void refresh() {
            PciConfigSpace c = function.config();
            for (int i = 0; i < PciHeaderLayout.BAR_COUNT; i++) {
                PciBar bar = c.bar(i);
                if (bar == null) {
                    continue;
                }
                long want = detached ? 0 : wanted(c, i, bar);
                if (want == mappedAt[i]) {
                    continue;
                }
                MmioBus target = bar.isIo() ? ports : memory;
                unmap(i, bar);
                if (want != 0) {
                    if (target.tryRegister(want, bar.sizeBytes(), handler(i, bar.sizeBytes()))) {
                        mappedAt[i] = want;
                        for (BarMappingListener l : listeners) {
                            l.mapped(address, function, i, want, bar.sizeBytes(), bar.isIo());
                        }
                    } else {
                        int index = i;
                        LOG.log(Level.WARNING, () -> address + " BAR " + index + " at 0x" + Long.toHexString(want)
                            + "+0x" + Long.toHexString(bar.sizeBytes()) + " overlaps another range; left unmapped");
                    }
                }
            }
        }

        /** Where BAR {@code i} should be decoded now; 0 for nowhere. */
        private static long wanted(PciConfigSpace c, int i, PciBar bar) {
            boolean enabled = bar.isIo() ? c.ioEnabled() : c.memoryEnabled();
            long addr = enabled ? c.barAddress(i) : 0;
            // A range that wraps past the top of the address space cannot be decoded.
            return addr + bar.sizeBytes() < addr ? 0 : addr;
        }

        private MmioHandler handler(int index, long size) {
            return new MmioHandler() {
                @Override
                public long read(long offset, int sizeBytes) {
                    return offset + sizeBytes <= size ? function.readBar(index, offset, sizeBytes)
                        : MmioBus.allOnes(sizeBytes);
                }

                @Override
                public void write(long offset, int sizeBytes, long value) {
                    if (offset + sizeBytes <= size) {
                        function.writeBar(index, offset, sizeBytes, value);
                    }
                }
            };
        }
    }
}
