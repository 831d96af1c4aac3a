package io.vireo.vmm.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds small synthetic x86 ELF kernels for loader tests: an ELF header, program headers, a Xen note
 * (as a PT_NOTE segment or only as an SHT_NOTE section) and segment data, laid out in that order.
 */
final class ElfBuilder {
    record Segment(long paddr, byte[] data, long memsz) {
    }

    boolean elf64 = true;
    int machine = ElfLayout.EM_X86_64;
    /** PVH entry written in the Xen note, or null for no note. */
    Long pvhEntry;
    int noteDescSize = 8;
    boolean noteInSectionOnly;
    /** An unrelated note placed before the Xen note, to check that the walker skips it. */
    boolean leadingOtherNote = true;
    final List<Segment> segments = new ArrayList<>();

    /** File offset of the program header table in the last built image. */
    int phoff;
    /** File offset of each segment's data in the last built image. */
    final List<Integer> segmentOffsets = new ArrayList<>();

    ElfBuilder segment(long paddr, byte[] data, long memsz) {
        segments.add(new Segment(paddr, data, memsz));
        return this;
    }

    ElfBuilder entry(long entry) {
        pvhEntry = entry;
        return this;
    }

    int phentsize() {
        return elf64 ? ElfLayout.PHDR64_SIZE : ElfLayout.PHDR32_SIZE;
    }

    byte[] build() {
        int ehsize = elf64 ? ElfLayout.EHDR64_SIZE : ElfLayout.EHDR32_SIZE;
        byte[] notes = notes();
        boolean notePhdr = pvhEntry != null && !noteInSectionOnly;
        int phnum = segments.size() + (notePhdr ? 1 : 0);
        phoff = ehsize;
        int noteOff = phoff + phnum * phentsize();
        int dataOff = noteOff + notes.length;
        segmentOffsets.clear();
        int at = dataOff;
        for (Segment s : segments) {
            segmentOffsets.add(at);
            at += s.data().length;
        }
        int shentsize = elf64 ? ElfLayout.SHDR64_SIZE : ElfLayout.SHDR32_SIZE;
        boolean sections = pvhEntry != null && noteInSectionOnly;
        int shoff = sections ? at : 0;
        int total = at + (sections ? 2 * shentsize : 0);

        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, ElfLayout.MAGIC);
        b.put(ElfLayout.EI_CLASS_OFFSET, (byte) (elf64 ? ElfLayout.ELFCLASS64 : ElfLayout.ELFCLASS32));
        b.put(ElfLayout.EI_DATA_OFFSET, (byte) ElfLayout.ELFDATA2LSB);
        b.put(ElfLayout.EI_VERSION_OFFSET, (byte) ElfLayout.EV_CURRENT);
        b.putShort(ElfLayout.E_TYPE_OFFSET, (short) ElfLayout.ET_EXEC);
        b.putShort(ElfLayout.E_MACHINE_OFFSET, (short) machine);
        b.putInt(20, 1); // e_version
        if (elf64) {
            b.putLong(24, 0xffffffff81000000L); // e_entry: a virtual address the loader must ignore
            b.putLong(ElfLayout.EHDR64_PHOFF_OFFSET, phoff);
            b.putLong(ElfLayout.EHDR64_SHOFF_OFFSET, shoff);
            b.putShort(52, (short) ehsize);
            b.putShort(ElfLayout.EHDR64_PHENTSIZE_OFFSET, (short) phentsize());
            b.putShort(ElfLayout.EHDR64_PHNUM_OFFSET, (short) phnum);
            b.putShort(ElfLayout.EHDR64_SHENTSIZE_OFFSET, (short) (sections ? shentsize : 0));
            b.putShort(ElfLayout.EHDR64_SHNUM_OFFSET, (short) (sections ? 2 : 0));
        } else {
            b.putInt(24, 0xc1000000);
            b.putInt(ElfLayout.EHDR32_PHOFF_OFFSET, phoff);
            b.putInt(ElfLayout.EHDR32_SHOFF_OFFSET, shoff);
            b.putShort(40, (short) ehsize);
            b.putShort(ElfLayout.EHDR32_PHENTSIZE_OFFSET, (short) phentsize());
            b.putShort(ElfLayout.EHDR32_PHNUM_OFFSET, (short) phnum);
            b.putShort(ElfLayout.EHDR32_SHENTSIZE_OFFSET, (short) (sections ? shentsize : 0));
            b.putShort(ElfLayout.EHDR32_SHNUM_OFFSET, (short) (sections ? 2 : 0));
        }
        int ph = phoff;
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            putPhdr(b, ph, ElfLayout.PT_LOAD, segmentOffsets.get(i), s.paddr(), s.data().length, s.memsz(), 4096);
            b.put(segmentOffsets.get(i), s.data());
            ph += phentsize();
        }
        b.put(noteOff, notes);
        if (notePhdr) {
            putPhdr(b, ph, ElfLayout.PT_NOTE, noteOff, 0, notes.length, notes.length, 4);
        }
        if (sections) {
            int sh = shoff + shentsize; // section 0 is the null section
            if (elf64) {
                b.putInt(sh + ElfLayout.SHDR64_TYPE_OFFSET, ElfLayout.SHT_NOTE);
                b.putLong(sh + ElfLayout.SHDR64_OFFSET_OFFSET, noteOff);
                b.putLong(sh + ElfLayout.SHDR64_SIZE_OFFSET, notes.length);
                b.putLong(sh + ElfLayout.SHDR64_ADDRALIGN_OFFSET, 4);
            } else {
                b.putInt(sh + ElfLayout.SHDR32_TYPE_OFFSET, ElfLayout.SHT_NOTE);
                b.putInt(sh + ElfLayout.SHDR32_OFFSET_OFFSET, noteOff);
                b.putInt(sh + ElfLayout.SHDR32_SIZE_OFFSET, notes.length);
                b.putInt(sh + ElfLayout.SHDR32_ADDRALIGN_OFFSET, 4);
            }
        }
        return b.array();
    }

    private void putPhdr(ByteBuffer b, int at, int type, long offset, long paddr, long filesz, long memsz,
                         long align) {
        if (elf64) {
            b.putInt(at + ElfLayout.PHDR64_TYPE_OFFSET, type);
            b.putLong(at + ElfLayout.PHDR64_OFFSET_OFFSET, offset);
            b.putLong(at + 16, paddr + 0xffffffff80000000L); // p_vaddr: ignored
            b.putLong(at + ElfLayout.PHDR64_PADDR_OFFSET, paddr);
            b.putLong(at + ElfLayout.PHDR64_FILESZ_OFFSET, filesz);
            b.putLong(at + ElfLayout.PHDR64_MEMSZ_OFFSET, memsz);
            b.putLong(at + ElfLayout.PHDR64_ALIGN_OFFSET, align);
        } else {
            b.putInt(at + ElfLayout.PHDR32_TYPE_OFFSET, type);
            b.putInt(at + ElfLayout.PHDR32_OFFSET_OFFSET, (int) offset);
            b.putInt(at + 8, (int) paddr);
            b.putInt(at + ElfLayout.PHDR32_PADDR_OFFSET, (int) paddr);
            b.putInt(at + ElfLayout.PHDR32_FILESZ_OFFSET, (int) filesz);
            b.putInt(at + ElfLayout.PHDR32_MEMSZ_OFFSET, (int) memsz);
            b.putInt(at + ElfLayout.PHDR32_ALIGN_OFFSET, (int) align);
        }
    }

    /** A GNU build-id note (skipped) and then the Xen PHYS32_ENTRY note. */
    private byte[] notes() {
        if (pvhEntry == null) {
            return new byte[0];
        }
        ByteBuffer n = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        if (leadingOtherNote) {
            n.putInt(4).putInt(5).putInt(3).put(new byte[] {'G', 'N', 'U', 0});
            n.put(new byte[] {1, 2, 3, 4, 5, 0, 0, 0}); // 5-byte desc padded to 8
        }
        n.putInt(4).putInt(noteDescSize).putInt(PvhElfLoader.XEN_ELFNOTE_PHYS32_ENTRY);
        n.put(new byte[] {'X', 'e', 'n', 0});
        if (noteDescSize == 8) {
            n.putLong(pvhEntry);
        } else {
            n.putInt((int) (long) pvhEntry);
            for (int i = 4; i < noteDescSize; i++) {
                n.put((byte) 0);
            }
        }
        byte[] out = new byte[n.position()];
        n.flip().get(out);
        return out;
    }
}
