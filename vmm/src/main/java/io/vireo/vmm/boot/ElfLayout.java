package io.vireo.vmm.boot;

/**
 * Byte offsets of the ELF structures Vireo reads (System V gABI, "ELF Header", "Program Header",
 * "Sections", "Note Section"). All multi-byte fields are little-endian (EI_DATA = ELFDATA2LSB is checked).
 *
 * <pre>
 * e_ident (both classes)      ELF header          ELF64  ELF32
 * +------+--------------+     e_type              16/2   16/2
 * | 0..3 | 7f 'E' 'L' 'F'|    e_machine           18/2   18/2
 * | 4    | EI_CLASS     |     e_entry             24/8   24/4
 * | 5    | EI_DATA      |     e_phoff             32/8   28/4
 * | 6    | EI_VERSION   |     e_shoff             40/8   32/4
 * +------+--------------+     e_phentsize         54/2   42/2
 *                             e_phnum             56/2   44/2
 *                             e_shentsize         58/2   46/2
 *                             e_shnum             60/2   48/2
 *                             header size         64     52
 *
 * Program header   ELF64  ELF32       Section header  ELF64  ELF32       Note (4-byte words)
 * p_type           0/4    0/4         sh_type         4/4    4/4         namesz  0/4
 * p_offset         8/8    4/4         sh_offset       24/8   16/4        descsz  4/4
 * p_paddr          24/8   12/4        sh_size         32/8   20/4        type    8/4
 * p_filesz         32/8   16/4        sh_addralign    48/8   32/4        name    12, padded
 * p_memsz          40/8   20/4        entry size      64     40          desc    after name, padded
 * p_align          48/8   28/4
 * entry size       56     32
 * </pre>
 */
final class ElfLayout {
    static final byte[] MAGIC = {0x7f, 'E', 'L', 'F'};
    static final int EI_CLASS_OFFSET = 4;
    static final int EI_DATA_OFFSET = 5;
    static final int EI_VERSION_OFFSET = 6;
    static final int ELFCLASS32 = 1;
    static final int ELFCLASS64 = 2;
    static final int ELFDATA2LSB = 1;
    static final int EV_CURRENT = 1;

    static final int E_TYPE_OFFSET = 16;
    static final int E_MACHINE_OFFSET = 18;
    /** e_entry: 8 bytes in ELF64, 4 in ELF32 (gABI, "ELF Header"). */
    static final int E_ENTRY_OFFSET = 0x18;
    static final int ET_EXEC = 2;
    static final int EM_386 = 3;
    static final int EM_X86_64 = 62;

    static final int EHDR64_SIZE = 64;
    static final int EHDR64_PHOFF_OFFSET = 32;
    static final int EHDR64_SHOFF_OFFSET = 40;
    static final int EHDR64_PHENTSIZE_OFFSET = 54;
    static final int EHDR64_PHNUM_OFFSET = 56;
    static final int EHDR64_SHENTSIZE_OFFSET = 58;
    static final int EHDR64_SHNUM_OFFSET = 60;

    static final int EHDR32_SIZE = 52;
    static final int EHDR32_PHOFF_OFFSET = 28;
    static final int EHDR32_SHOFF_OFFSET = 32;
    static final int EHDR32_PHENTSIZE_OFFSET = 42;
    static final int EHDR32_PHNUM_OFFSET = 44;
    static final int EHDR32_SHENTSIZE_OFFSET = 46;
    static final int EHDR32_SHNUM_OFFSET = 48;

    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;

    static final int PHDR64_SIZE = 56;
    static final int PHDR64_TYPE_OFFSET = 0;
    static final int PHDR64_OFFSET_OFFSET = 8;
    static final int PHDR64_PADDR_OFFSET = 24;
    static final int PHDR64_FILESZ_OFFSET = 32;
    static final int PHDR64_MEMSZ_OFFSET = 40;
    static final int PHDR64_ALIGN_OFFSET = 48;

    static final int PHDR32_SIZE = 32;
    static final int PHDR32_TYPE_OFFSET = 0;
    static final int PHDR32_OFFSET_OFFSET = 4;
    static final int PHDR32_PADDR_OFFSET = 12;
    static final int PHDR32_FILESZ_OFFSET = 16;
    static final int PHDR32_MEMSZ_OFFSET = 20;
    static final int PHDR32_ALIGN_OFFSET = 28;

    static final int SHT_NOTE = 7;

    static final int SHDR64_SIZE = 64;
    static final int SHDR64_TYPE_OFFSET = 4;
    static final int SHDR64_OFFSET_OFFSET = 24;
    static final int SHDR64_SIZE_OFFSET = 32;
    static final int SHDR64_ADDRALIGN_OFFSET = 48;

    static final int SHDR32_SIZE = 40;
    static final int SHDR32_TYPE_OFFSET = 4;
    static final int SHDR32_OFFSET_OFFSET = 16;
    static final int SHDR32_SIZE_OFFSET = 20;
    static final int SHDR32_ADDRALIGN_OFFSET = 32;

    static final int NOTE_NAMESZ_OFFSET = 0;
    static final int NOTE_DESCSZ_OFFSET = 4;
    static final int NOTE_TYPE_OFFSET = 8;
    static final int NOTE_HEADER_SIZE = 12;

    private ElfLayout() {
    }
}
