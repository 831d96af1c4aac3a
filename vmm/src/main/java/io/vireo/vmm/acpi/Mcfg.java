package io.vireo.vmm.acpi;

import java.util.List;

/**
 * PCI Express memory mapped configuration space base address description table (PCI Firmware
 * Specification 3.2, 4.1.2; signature "MCFG" reserved by ACPI 6.5 table 5.6): where each segment's ECAM
 * window is and which buses it covers.
 *
 * <pre>
 * +-----+---------------------------+     allocation structure, 16 bytes each
 * |   0 | header (36)               |     +-----+------------------------------+
 * |  36 | reserved (8)              |     |  +0 | base address u64             |
 * |  44 | allocation structures...  |     |  +8 | PCI segment group u16        |
 * +-----+---------------------------+     | +10 | start bus u8                 |
 *                                         | +11 | end bus u8                   |
 *                                         | +12 | reserved u32                 |
 *                                         +-----+------------------------------+
 * </pre>
 * The window of an entry starts at bus 0's config space even when start bus is not 0: the base address is
 * that of bus 0, so the window is {@code (end bus + 1) << 20} bytes from the base (4.1.2).
 */
public final class Mcfg {
    public static final int REVISION = 1;
    public static final int ALLOCATIONS_OFFSET = AcpiTable.HEADER_SIZE + 8;
    public static final int ALLOCATION_SIZE = 16;
    public static final int BASE_ADDRESS_OFFSET = 0;
    public static final int SEGMENT_OFFSET = 8;
    public static final int START_BUS_OFFSET = 10;
    public static final int END_BUS_OFFSET = 11;

    private Mcfg() {
    }

    /** One allocation structure: {@code base} is bus 0's config space of {@code segment}. */
    public record Window(long base, int segment, int startBus, int endBus) {
        public Window {
            if (startBus < 0 || endBus > 255 || startBus > endBus || (segment & ~0xffff) != 0
                || (base & ((1 << 20) - 1)) != 0) {
                throw new IllegalArgumentException("MCFG window base=0x" + Long.toHexString(base) + ", segment="
                    + segment + ", buses " + startBus + "-" + endBus + ": base must be 1 MiB aligned, buses 0-255");
            }
        }
    }

    /** An MCFG with one ECAM window: {@code baseGpa} for buses {@code startBus}-{@code endBus} of a segment. */
    public static byte[] build(long baseGpa, int segment, int startBus, int endBus) {
        return build(List.of(new Window(baseGpa, segment, startBus, endBus)));
    }

    /** An MCFG with one allocation structure per window, in order. */
    public static byte[] build(List<Window> windows) {
        AcpiTable t = new AcpiTable("MCFG", REVISION);
        t.zeros(8);
        for (Window w : windows) {
            t.u64(w.base()).u16(w.segment()).u8(w.startBus()).u8(w.endBus()).u32(0);
        }
        return t.toBytes();
    }
}
