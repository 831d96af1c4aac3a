package io.vireo.vmm.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.vireo.vmm.boot.ElfLayout.*;

/**
 * A validated view of an x86 ELF executable held in a byte array (ELF32 or ELF64).
 *
 * <p>The image comes from the user and may be anything: every offset and size is checked against the
 * file length before use, with arithmetic that cannot overflow (offsets are first checked to be inside
 * the file, which is at most 2 GiB, so the sums that follow fit in a long).
 */
final class ElfFile {
    /** One program header; 64-bit fields are kept as read, so a huge unsigned value is negative here. */
    record ProgramHeader(int index, int type, long offset, long paddr, long filesz, long memsz, long align) {
    }

    /** One section header of type SHT_NOTE. */
    record NoteSection(int index, long offset, long size, long align) {
    }

    private final byte[] image;
    private final ByteBuffer le;
    private final String what;
    private final boolean elf64;
    private final List<ProgramHeader> programHeaders;

    private ElfFile(byte[] image, String what) {
        this.image = image;
        this.le = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        this.what = what;
        this.elf64 = checkIdent();
        checkTypeAndMachine();
        this.programHeaders = readProgramHeaders();
    }

    /**
     * Parses and validates the ELF header and program header table.
     *
     * @param what how messages name the file, e.g. {@code "kernel /boot/vmlinux"}
     */
    static ElfFile parse(byte[] image, String what) {
        return new ElfFile(image, what);
    }

    static boolean hasMagic(byte[] head) {
        return head != null && head.length >= MAGIC.length
            && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    boolean is64() {
        return elf64;
    }

    byte[] image() {
        return image;
    }

    /** e_entry. For a Linux vmlinux it is the physical address of startup_64 (ENTRY(phys_startup_64)). */
    long entry() {
        return elf64 ? s64(E_ENTRY_OFFSET) : u32u(E_ENTRY_OFFSET);
    }

    List<ProgramHeader> programHeaders() {
        return programHeaders;
    }

    int u32(long offset) {
        return le.getInt(Math.toIntExact(offset));
    }

    private boolean checkIdent() {
        if (!hasMagic(image)) {
            throw fail("not an ELF file (bad magic)");
        }
        if (image.length <= EI_VERSION_OFFSET) {
            throw fail("truncated (file is " + image.length + " bytes, ELF identification is 16)");
        }
        int elfClass = image[EI_CLASS_OFFSET];
        if (elfClass != ELFCLASS32 && elfClass != ELFCLASS64) {
            throw fail("unknown ELF class " + elfClass + " (expected 1 = ELF32 or 2 = ELF64)");
        }
        if (image[EI_DATA_OFFSET] != ELFDATA2LSB) {
            throw fail("not a little-endian ELF file (EI_DATA " + image[EI_DATA_OFFSET] + ")");
        }
        if (image[EI_VERSION_OFFSET] != EV_CURRENT) {
            throw fail("unsupported ELF version " + image[EI_VERSION_OFFSET]);
        }
        int headerSize = elfClass == ELFCLASS64 ? EHDR64_SIZE : EHDR32_SIZE;
        if (image.length < headerSize) {
            throw fail("truncated (file is " + image.length + " bytes, ELF header ends at " + headerSize + ")");
        }
        return elfClass == ELFCLASS64;
    }

    private void checkTypeAndMachine() {
        int type = u16(E_TYPE_OFFSET);
        if (type != ET_EXEC) {
            throw fail("not an executable (e_type " + type + ", expected ET_EXEC = 2)");
        }
        // PVH enters in 32-bit protected mode whatever the class, so either x86 machine is fine in
        // either container; this check is about rejecting kernels for other architectures.
        int machine = u16(E_MACHINE_OFFSET);
        if (machine != EM_X86_64 && machine != EM_386) {
            throw fail("not an x86 kernel (e_machine " + machine + ", expected 62 = x86-64 or 3 = i386)");
        }
    }

    private List<ProgramHeader> readProgramHeaders() {
        long phoff = elf64 ? s64(EHDR64_PHOFF_OFFSET) : u32u(EHDR32_PHOFF_OFFSET);
        int phentsize = u16(elf64 ? EHDR64_PHENTSIZE_OFFSET : EHDR32_PHENTSIZE_OFFSET);
        int phnum = u16(elf64 ? EHDR64_PHNUM_OFFSET : EHDR32_PHNUM_OFFSET);
        int minEntry = elf64 ? PHDR64_SIZE : PHDR32_SIZE;
        if (phnum == 0) {
            throw fail("no program headers (e_phnum 0)");
        }
        if (phentsize < minEntry) {
            throw fail("program header entries are " + phentsize + " bytes; ELF" + (elf64 ? "64" : "32")
                + " needs " + minEntry);
        }
        long tableEnd = checkedEnd(phoff, (long) phentsize * phnum);
        if (tableEnd < 0 || tableEnd > image.length) {
            throw fail("truncated (file is " + image.length + " bytes, program header table ends at "
                + describeEnd(phoff, (long) phentsize * phnum) + ")");
        }
        List<ProgramHeader> list = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            list.add(elf64
                ? new ProgramHeader(i, u32(at + PHDR64_TYPE_OFFSET), s64(at + PHDR64_OFFSET_OFFSET),
                    s64(at + PHDR64_PADDR_OFFSET), s64(at + PHDR64_FILESZ_OFFSET), s64(at + PHDR64_MEMSZ_OFFSET),
                    s64(at + PHDR64_ALIGN_OFFSET))
                : new ProgramHeader(i, u32(at + PHDR32_TYPE_OFFSET), u32u(at + PHDR32_OFFSET_OFFSET),
                    u32u(at + PHDR32_PADDR_OFFSET), u32u(at + PHDR32_FILESZ_OFFSET), u32u(at + PHDR32_MEMSZ_OFFSET),
                    u32u(at + PHDR32_ALIGN_OFFSET)));
        }
        return List.copyOf(list);
    }

    /**
     * The SHT_NOTE sections, read only when needed (a kernel whose program headers carry the PVH note may
     * have a section table we never look at). Absent table (e_shoff or e_shnum 0) means no sections.
     */
    List<NoteSection> noteSections() {
        long shoff = elf64 ? s64(EHDR64_SHOFF_OFFSET) : u32u(EHDR32_SHOFF_OFFSET);
        int shentsize = u16(elf64 ? EHDR64_SHENTSIZE_OFFSET : EHDR32_SHENTSIZE_OFFSET);
        int shnum = u16(elf64 ? EHDR64_SHNUM_OFFSET : EHDR32_SHNUM_OFFSET);
        if (shoff == 0 || shnum == 0) {
            return List.of();
        }
        int minEntry = elf64 ? SHDR64_SIZE : SHDR32_SIZE;
        if (shentsize < minEntry) {
            throw fail("section header entries are " + shentsize + " bytes; ELF" + (elf64 ? "64" : "32")
                + " needs " + minEntry);
        }
        long tableEnd = checkedEnd(shoff, (long) shentsize * shnum);
        if (tableEnd < 0 || tableEnd > image.length) {
            throw fail("truncated (file is " + image.length + " bytes, section header table ends at "
                + describeEnd(shoff, (long) shentsize * shnum) + ")");
        }
        List<NoteSection> notes = new ArrayList<>();
        for (int i = 0; i < shnum; i++) {
            int at = (int) (shoff + (long) i * shentsize);
            if (u32(at + (elf64 ? SHDR64_TYPE_OFFSET : SHDR32_TYPE_OFFSET)) != SHT_NOTE) {
                continue;
            }
            NoteSection s = elf64
                ? new NoteSection(i, s64(at + SHDR64_OFFSET_OFFSET), s64(at + SHDR64_SIZE_OFFSET),
                    s64(at + SHDR64_ADDRALIGN_OFFSET))
                : new NoteSection(i, u32u(at + SHDR32_OFFSET_OFFSET), u32u(at + SHDR32_SIZE_OFFSET),
                    u32u(at + SHDR32_ADDRALIGN_OFFSET));
            checkInFile(s.offset(), s.size(), "section " + i);
            notes.add(s);
        }
        return notes;
    }

    /** Throws a "truncated" error unless [offset, offset+size) lies inside the file. */
    void checkInFile(long offset, long size, String part) {
        long end = checkedEnd(offset, size);
        if (end < 0 || end > image.length) {
            throw fail("truncated (file is " + image.length + " bytes, " + part + " data ends at "
                + describeEnd(offset, size) + ")");
        }
    }

    BootException fail(String problem) {
        return new BootException(what + ": " + problem);
    }

    /** offset + size, or -1 when either is a huge unsigned value or the sum overflows. */
    static long checkedEnd(long offset, long size) {
        if (offset < 0 || size < 0) {
            return -1;
        }
        long end = offset + size;
        return end < 0 ? -1 : end;
    }

    /** The end address as an unsigned decimal, or a description when it does not fit in 64 bits. */
    private static String describeEnd(long offset, long size) {
        long end = offset + size;
        boolean wrapped = Long.compareUnsigned(end, offset) < 0;
        return wrapped ? "beyond 2^64" : Long.toUnsignedString(end);
    }

    private int u16(int offset) {
        return Short.toUnsignedInt(le.getShort(offset));
    }

    private long u32u(int offset) {
        return Integer.toUnsignedLong(le.getInt(offset));
    }

    private long s64(int offset) {
        return le.getLong(offset);
    }
}
