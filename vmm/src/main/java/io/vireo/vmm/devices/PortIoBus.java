package io.vireo.vmm.devices;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The x86 I/O port space: 65536 ports, each mapped to at most one {@link PioDevice}.
 *
 * <p>Dispatch is one array load by port number, so {@link #read} and {@link #write} do not allocate or lock:
 * they run on vCPU threads for every port exit. An access goes to the device that owns its first port.
 * Unmapped reads float high, as on an ISA bus (all ones for the size); unmapped writes are dropped; both are
 * counted. Register every device before the vCPU threads start: starting a thread publishes the table to it.
 */
public final class PortIoBus {
    public static final int PORT_COUNT = 0x10000;

    private record Mapping(int base, int length, PioDevice device) {
        int last() {
            return base + length - 1;
        }

        @Override
        public String toString() {
            return "0x" + Integer.toHexString(base) + "-0x" + Integer.toHexString(last()) + " ("
                + device.getClass().getSimpleName() + ")";
        }
    }

    private final PioDevice[] byPort = new PioDevice[PORT_COUNT];
    private final List<Mapping> mappings = new ArrayList<>();
    private final AtomicLong unmappedAccesses = new AtomicLong();

    /** Maps ports [base, base+length) to the device; rejects a range that overlaps one already mapped. */
    public synchronized void register(int base, int length, PioDevice device) {
        if (base < 0 || length <= 0 || base > PORT_COUNT - length) {
            throw new IllegalArgumentException("bad port range: base=0x" + Integer.toHexString(base)
                + ", length=" + length + " (ports are 0x0-0xffff)");
        }
        Mapping m = new Mapping(base, length, device);
        for (Mapping other : mappings) {
            if (base <= other.last() && other.base() <= m.last()) {
                throw new IllegalArgumentException("port range " + m + " overlaps " + other);
            }
        }
        mappings.add(m);
        for (int p = base; p < base + length; p++) {
            byPort[p] = device;
        }
    }

    public int read(int port, int size) {
        int mask = mask(size);
        PioDevice d = byPort[port];
        if (d == null) {
            unmappedAccesses.getAndIncrement();
            return mask;
        }
        return d.read(port, size) & mask;
    }

    public void write(int port, int size, int value) {
        int mask = mask(size);
        PioDevice d = byPort[port];
        if (d == null) {
            unmappedAccesses.getAndIncrement();
            return;
        }
        d.write(port, size, value & mask);
    }

    /** Reads and writes that hit no device since the bus was made. */
    public long unmappedAccesses() {
        return unmappedAccesses.get();
    }

    /** The low {@code size} bytes set. KVM decodes port I/O as 1, 2 or 4 bytes (struct kvm_run, io.size). */
    static int mask(int size) {
        return switch (size) {
            case 1 -> 0xff;
            case 2 -> 0xffff;
            case 4 -> 0xffff_ffff;
            default -> throw new IllegalArgumentException("port access size " + size + "; must be 1, 2 or 4");
        };
    }
}
