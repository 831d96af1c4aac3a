package io.vireo.vmm.pci;

import io.vireo.vmm.boot.E820Entry;

/**
 * The Enhanced Configuration Access Mechanism (PCI Express Base 7.2.2, "MMCONFIG"): each function's 4 KiB of
 * config space at a fixed place in a memory window.
 *
 * <pre>
 * window offset
 * +--------+-------+--------+----------+----------+
 * | 63:28  | 27:20 | 19:15  | 14:12    | 11:0     |
 * | 0      | bus   | device | function | register |
 * +--------+-------+--------+----------+----------+
 * </pre>
 * The window is at {@link #BASE_GPA} = 0xE0000000, in the 32-bit hole above the BAR window
 * (0xC0000000-0xDFFFFFFF) and far below the IOAPIC (0xFEC00000). Vireo has one bus, so the window is
 * {@link #SIZE_BYTES} = 1 MiB and the MCFG table says buses 0-0; PCI segment N's window follows at
 * {@code BASE_GPA + N MiB} ({@link #baseOf}), up to 0xEFFFFFFF. The window must also be reserved in the e820
 * map or ACPI motherboard resources, or Linux refuses to use it ("MMCONFIG ... not reserved"): see {@link PciAcpi}.
 *
 * <p>Accesses of 1, 2 or 4 bytes within one dword are config accesses; any other size or one that crosses a
 * dword (undefined in 7.2.2) reads all ones and writes nothing. Register offsets past a conventional
 * function's 256 bytes read 0.
 */
public final class PciEcam implements MmioHandler {
    public static final long BASE_GPA = 0xe000_0000L;
    public static final int BUSES = 1;
    public static final long BYTES_PER_BUS = 1L << 20;
    public static final long SIZE_BYTES = BUSES * BYTES_PER_BUS;
    public static final int BUS_SHIFT = 20;
    public static final int DEVICE_SHIFT = 15;
    public static final int FUNCTION_SHIFT = 12;
    public static final int REGISTER_MASK = 0xfff;

    private final PciBus bus;

    public PciEcam(PciBus bus) {
        this.bus = bus;
    }

    /** The most PCI segments whose windows fit below 0xF0000000 (0xE0000000 + 256 MiB). */
    public static final int MAX_SEGMENTS_IN_AREA = 256;

    /** The e820 entry that reserves the window. */
    public static E820Entry e820Entry() {
        return e820Entry(1);
    }

    /** The e820 entry that reserves the windows of {@code segments} segments, back to back from {@link #BASE_GPA}. */
    public static E820Entry e820Entry(int segments) {
        return new E820Entry(BASE_GPA, segments * SIZE_BYTES, E820Entry.TYPE_RESERVED);
    }

    /** Where segment {@code segment}'s window starts: one {@link #SIZE_BYTES} window per segment. */
    public static long baseOf(int segment) {
        if (segment < 0 || segment >= MAX_SEGMENTS_IN_AREA) {
            throw new IllegalArgumentException("PCI segment " + segment + " has no ECAM window");
        }
        return BASE_GPA + segment * SIZE_BYTES;
    }

    /** The window offset of register {@code offset} of {@code bus:device.function}. */
    public static long offsetOf(int busNumber, int device, int function, int offset) {
        return (long) busNumber << BUS_SHIFT | (long) device << DEVICE_SHIFT | (long) function << FUNCTION_SHIFT
            | offset;
    }

    @Override
    public long read(long offset, int size) {
        if (!valid(offset, size)) {
            return MmioBus.allOnes(size);
        }
        int reg = (int) (offset & REGISTER_MASK);
        return Integer.toUnsignedLong(bus.readConfig((int) (offset >>> BUS_SHIFT), (int) (offset >>> DEVICE_SHIFT)
            & 0x1f, (int) (offset >>> FUNCTION_SHIFT) & 0x7, reg, size)) & MmioBus.allOnes(size);
    }

    @Override
    public void write(long offset, int size, long value) {
        if (!valid(offset, size)) {
            return;
        }
        int reg = (int) (offset & REGISTER_MASK);
        bus.writeConfig((int) (offset >>> BUS_SHIFT), (int) (offset >>> DEVICE_SHIFT) & 0x1f,
            (int) (offset >>> FUNCTION_SHIFT) & 0x7, reg, size, (int) value);
    }

    private static boolean valid(long offset, int size) {
        return (size == 1 || size == 2 || size == 4) && offset >= 0 && offset < SIZE_BYTES
            && (offset & 3) + size <= 4;
    }
}
