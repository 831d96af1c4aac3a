package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

import static io.vireo.vmm.boot.ElfLayout.NOTE_DESCSZ_OFFSET;
import static io.vireo.vmm.boot.ElfLayout.NOTE_HEADER_SIZE;
import static io.vireo.vmm.boot.ElfLayout.NOTE_NAMESZ_OFFSET;
import static io.vireo.vmm.boot.ElfLayout.NOTE_TYPE_OFFSET;
import static io.vireo.vmm.boot.ElfLayout.PT_LOAD;
import static io.vireo.vmm.boot.ElfLayout.PT_NOTE;

/**
 * Loads an x86 ELF kernel (ELF64 or ELF32) for the PVH boot protocol: PT_LOAD segments go to their
 * physical addresses, and the entry point comes from the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY
 * (xen/include/public/elfnote.h), not from e_entry, which is a virtual address in a Linux vmlinux.
 *
 * <p>Everything is validated before the first byte is written, so a rejected kernel leaves guest RAM as it
 * was. Segments must start at or above 1 MiB: below that lives the boot data of {@link BootLayout}.
 */
public final class PvhElfLoader {
    /** XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit physical entry point of a PVH kernel. */
    static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;
    /** The note owner, "Xen" with its terminating NUL (namesz = 4). */
    private static final byte[] XEN_NAME = {'X', 'e', 'n', 0};
    /** Java arrays stop at 2^31 - 1 elements; a kernel anywhere near that is not a kernel. */
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private PvhElfLoader() {
    }

    /** Content-based detection: whether the first bytes of a file are the ELF magic. */
    public static boolean isElf(byte[] head) {
        return ElfFile.hasMagic(head);
    }

    /** Reads the kernel file and loads it; messages name the file as {@code kernel <path>}. */
    public static LoadedKernel load(GuestMemory mem, Path kernel) {
        String what = "kernel " + kernel;
        byte[] image;
        try {
            long size = Files.size(kernel);
            if (size > MAX_FILE_BYTES) {
                throw new BootException(what + ": " + size + " bytes is too large for a kernel");
            }
            image = Files.readAllBytes(kernel);
        } catch (IOException e) {
            throw new BootException(what + ": cannot read (" + e + ")", e);
        }
        return load(mem, kernel.toString(), image);
    }

    /**
     * Loads a kernel image held in memory.
     *
     * @param name how messages name the kernel, usually its path
     */
    public static LoadedKernel load(GuestMemory mem, String name, byte[] image) {
        return load(mem, name, image, true);
    }

    /**
     * Loads an uncompressed Linux vmlinux for the 64-bit boot protocol: the same PT_LOAD checks, but
     * the entry is e_entry (startup_64's physical address), not the PVH note, which most kernels lack.
     * {@link LoadedKernel#entry32()} then holds the 64-bit entry.
     */
    public static LoadedKernel loadVmlinux(GuestMemory mem, String name, byte[] image) {
        return load(mem, name, image, false);
    }

    private static LoadedKernel load(GuestMemory mem, String name, byte[] image, boolean pvh) {
        ElfFile elf = ElfFile.parse(image, "kernel " + name);
        List<ElfFile.ProgramHeader> loads = checkLoadSegments(elf, mem);
        long lowest = Long.MAX_VALUE;
        long highest = 0;
        for (ElfFile.ProgramHeader ph : loads) {
            lowest = Math.min(lowest, ph.paddr());
            highest = Math.max(highest, ph.paddr() + ph.memsz());
        }
        long entry = pvh ? findPvhEntry(elf) : elf.entry();
        if (entry < lowest || entry >= highest) {
            throw elf.fail((pvh ? "PVH entry 0x" : "entry point 0x") + Long.toHexString(entry)
                + " is outside the loaded segments (0x" + Long.toHexString(lowest) + "-0x"
                + Long.toHexString(highest) + ")");
        }
        for (ElfFile.ProgramHeader ph : loads) {
            MemorySegment dst = mem.slice(ph.paddr(), ph.memsz());
            MemorySegment.copy(image, (int) ph.offset(), dst, ValueLayout.JAVA_BYTE, 0, (int) ph.filesz());
            // bss: the part of p_memsz beyond p_filesz reads as zero (gABI, "Program Header", p_memsz).
            dst.asSlice(ph.filesz()).fill((byte) 0);
        }
        return new LoadedKernel(entry, lowest, highest);
    }

    /** The PT_LOAD segments worth loading (p_memsz > 0), each checked against the file and guest RAM. */
    private static List<ElfFile.ProgramHeader> checkLoadSegments(ElfFile elf, GuestMemory mem) {
        List<ElfFile.ProgramHeader> loads = new ArrayList<>();
        for (ElfFile.ProgramHeader ph : elf.programHeaders()) {
            if (ph.type() != PT_LOAD) {
                continue;
            }
            String seg = "segment " + ph.index();
            elf.checkInFile(ph.offset(), ph.filesz(), seg);
            // gABI, "Program Header": "The file size may not be larger than the memory size."
            if (Long.compareUnsigned(ph.filesz(), ph.memsz()) > 0) {
                throw elf.fail(seg + ": p_filesz " + Long.toUnsignedString(ph.filesz()) + " is larger than p_memsz "
                    + Long.toUnsignedString(ph.memsz()));
            }
            if (ph.memsz() == 0) {
                continue;
            }
            if (Long.compareUnsigned(ph.paddr(), BootLayout.KERNEL_MIN_GPA) < 0) {
                throw elf.fail(seg + " at 0x" + Long.toHexString(ph.paddr()) + " is below 1 MiB (0x"
                    + Long.toHexString(BootLayout.KERNEL_MIN_GPA) + "), where Vireo keeps the boot data");
            }
            if (!mem.contains(ph.paddr(), ph.memsz())) {
                throw elf.fail(seg + " at 0x" + Long.toHexString(ph.paddr()) + " (size "
                    + Long.toUnsignedString(ph.memsz()) + ") is outside guest RAM (" + describeRam(mem) + ")");
            }
            loads.add(ph);
        }
        if (loads.isEmpty()) {
            throw elf.fail("no PT_LOAD segment to load");
        }
        return loads;
    }

    /** The PVH entry from a PT_NOTE segment, else from an SHT_NOTE section. */
    private static long findPvhEntry(ElfFile elf) {
        for (ElfFile.ProgramHeader ph : elf.programHeaders()) {
            if (ph.type() == PT_NOTE) {
                elf.checkInFile(ph.offset(), ph.filesz(), "note segment " + ph.index());
                OptionalLong entry = scanNotes(elf, ph.offset(), ph.filesz(), ph.align());
                if (entry.isPresent()) {
                    return entry.getAsLong();
                }
            }
        }
        for (ElfFile.NoteSection s : elf.noteSections()) {
            OptionalLong entry = scanNotes(elf, s.offset(), s.size(), s.align());
            if (entry.isPresent()) {
                return entry.getAsLong();
            }
        }
        throw elf.fail("no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); Vireo boots ELF kernels by PVH");
    }

    /**
     * Walks the notes in [offset, offset+size) of the file (already checked to be inside it). Notes are
     * padded to 4 bytes, or to 8 where the segment or section says so (gABI, "Note Section").
     */
    private static OptionalLong scanNotes(ElfFile elf, long offset, long size, long align) {
        long pad = align == 8 ? 8 : 4;
        long end = offset + size;
        long at = offset;
        while (end - at >= NOTE_HEADER_SIZE) {
            long namesz = Integer.toUnsignedLong(elf.u32(at + NOTE_NAMESZ_OFFSET));
            long descsz = Integer.toUnsignedLong(elf.u32(at + NOTE_DESCSZ_OFFSET));
            int type = elf.u32(at + NOTE_TYPE_OFFSET);
            long nameAt = at + NOTE_HEADER_SIZE;
            long descAt = nameAt + alignUp(namesz, pad);
            long next = descAt + alignUp(descsz, pad);
            // Each term is below 2^33 and the file below 2^31, so these sums cannot overflow.
            if (descAt + descsz > end) {
                throw elf.fail("malformed note at file offset 0x" + Long.toHexString(at) + " (namesz " + namesz
                    + ", descsz " + descsz + " overrun its note area ending at 0x" + Long.toHexString(end) + ")");
            }
            if (type == XEN_ELFNOTE_PHYS32_ENTRY && isXenName(elf.image(), nameAt, namesz)) {
                return OptionalLong.of(readEntry(elf, descAt, descsz));
            }
            at = next;
        }
        return OptionalLong.empty();
    }

    private static boolean isXenName(byte[] image, long nameAt, long namesz) {
        if (namesz != XEN_NAME.length) {
            return false;
        }
        int from = (int) nameAt;
        return Arrays.equals(image, from, from + XEN_NAME.length, XEN_NAME, 0, XEN_NAME.length);
    }

    private static long readEntry(ElfFile elf, long descAt, long descsz) {
        if (descsz == 4) {
            return Integer.toUnsignedLong(elf.u32(descAt));
        }
        if (descsz == 8) {
            long low = Integer.toUnsignedLong(elf.u32(descAt));
            long high = Integer.toUnsignedLong(elf.u32(descAt + 4));
            if (high != 0) {
                throw elf.fail("PVH entry 0x" + Long.toHexString(high << 32 | low) + " does not fit in 32 bits");
            }
            return low;
        }
        throw elf.fail("XEN_ELFNOTE_PHYS32_ENTRY has a " + descsz + "-byte descriptor; expected 4 or 8");
    }

    private static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    static String describeRam(GuestMemory mem) {
        StringBuilder sb = new StringBuilder();
        for (GuestRegion r : mem.regions()) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append("0x").append(Long.toHexString(r.gpa())).append("-0x").append(Long.toHexString(r.endGpa()));
        }
        return sb.toString();
    }
}
