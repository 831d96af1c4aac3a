package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The guest's physical memory map: sorted by address, no two entries overlapping.
 *
 * <p>{@link #of(GuestMemory)} describes a PC: the region at GPA 0 loses the EBDA (reserved), the VGA hole
 * (a gap) and the BIOS area where the ACPI tables live (reserved); every other region is RAM. Devices that
 * need more reserved ranges (an MCFG window) add them with {@link #with(E820Entry)}.
 */
public final class E820Map {
    private final List<E820Entry> entries;

    public E820Map(List<E820Entry> entries) {
        List<E820Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(E820Entry::addr));
        for (int i = 1; i < sorted.size(); i++) {
            E820Entry prev = sorted.get(i - 1);
            E820Entry next = sorted.get(i);
            if (next.addr() < prev.end()) {
                throw new IllegalArgumentException("e820 entries overlap: " + prev + " and " + next);
            }
        }
        this.entries = List.copyOf(sorted);
    }

    /** The PC memory map of this guest RAM (see {@link BootLayout} for the low-memory picture). */
    public static E820Map of(GuestMemory mem) {
        List<E820Entry> list = new ArrayList<>();
        long lowEnd = BootLayout.lowRamEnd(mem);
        if (lowEnd <= BootLayout.KERNEL_MIN_GPA) {
            throw new BootException("guest RAM at GPA 0 is " + lowEnd + " bytes; Vireo needs more than 1 MiB there");
        }
        list.add(new E820Entry(0, BootLayout.EBDA_GPA, E820Entry.TYPE_RAM));
        list.add(new E820Entry(BootLayout.EBDA_GPA, BootLayout.VGA_HOLE_GPA - BootLayout.EBDA_GPA,
            E820Entry.TYPE_RESERVED));
        list.add(new E820Entry(BootLayout.ACPI_START_GPA, BootLayout.ACPI_END_GPA - BootLayout.ACPI_START_GPA,
            E820Entry.TYPE_RESERVED));
        list.add(new E820Entry(BootLayout.KERNEL_MIN_GPA, lowEnd - BootLayout.KERNEL_MIN_GPA, E820Entry.TYPE_RAM));
        for (GuestRegion r : mem.regions()) {
            if (r.gpa() != 0) {
                list.add(new E820Entry(r.gpa(), r.sizeBytes(), E820Entry.TYPE_RAM));
            }
        }
        return new E820Map(list);
    }

    /** This map plus one more entry (which must not overlap any). */
    public E820Map with(E820Entry extra) {
        List<E820Entry> list = new ArrayList<>(entries);
        list.add(extra);
        return new E820Map(list);
    }

    public List<E820Entry> entries() {
        return entries;
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
