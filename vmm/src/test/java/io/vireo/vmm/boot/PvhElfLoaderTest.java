package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PvhElfLoaderTest {
    private static final long RAM = 64 * TestMemory.MIB;
    private static final long TEXT = 0x100000;
    private static final long DATA = 0x200000;
    private static final byte FILL = (byte) 0xaa;

    private TestMemory ram;
    private GuestMemory mem;

    @BeforeEach
    void setUp() {
        ram = TestMemory.ofRam(RAM);
        mem = ram.memory();
        mem.fill(0, 4 * TestMemory.MIB, FILL);
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }

    private static ElfBuilder kernel() {
        return new ElfBuilder()
            .segment(TEXT, bytes(300, 1), 300)
            .segment(DATA, bytes(100, 50), 0x1000)
            .entry(TEXT + 0x40);
    }

    private BootException rejected(byte[] image) {
        BootException e = assertThrows(BootException.class, () -> PvhElfLoader.load(mem, "/k/vmlinux", image));
        assertTrue(e.getMessage().startsWith("kernel /k/vmlinux: "), e.getMessage());
        return e;
    }

    private void assertRamUntouched() {
        byte[] expected = new byte[0x1000];
        Arrays.fill(expected, FILL);
        assertArrayEquals(expected, mem.read(TEXT, 0x1000));
        assertArrayEquals(expected, mem.read(DATA, 0x1000));
    }

    @Test
    void shouldLoadSegmentsAndZeroBssWhenElf64() {
        LoadedKernel k = PvhElfLoader.load(mem, "vmlinux", kernel().build());

        assertEquals(new LoadedKernel(TEXT + 0x40, TEXT, DATA + 0x1000), k);
        assertArrayEquals(bytes(300, 1), mem.read(TEXT, 300));
        assertArrayEquals(bytes(100, 50), mem.read(DATA, 100));
        assertArrayEquals(new byte[0x1000 - 100], mem.read(DATA + 100, 0x1000 - 100));
        assertEquals(FILL, mem.read(DATA + 0x1000, 1)[0], "nothing past p_memsz is written");
    }

    @Test
    void shouldLoadElf32WithFourByteNote() {
        ElfBuilder b = kernel();
        b.elf64 = false;
        b.machine = ElfLayout.EM_386;
        b.noteDescSize = 4;

        LoadedKernel k = PvhElfLoader.load(mem, "vmlinux32", b.build());

        assertEquals(TEXT + 0x40, k.entry32());
        assertArrayEquals(bytes(300, 1), mem.read(TEXT, 300));
        assertArrayEquals(new byte[0x1000 - 100], mem.read(DATA + 100, 0x1000 - 100));
    }

    @Test
    void shouldFindNoteInSectionWhenNoNoteSegment() {
        ElfBuilder b = kernel();
        b.noteInSectionOnly = true;

        assertEquals(TEXT + 0x40, PvhElfLoader.load(mem, "k", b.build()).entry32());
    }

    @Test
    void shouldLoadFromPath(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("vmlinux");
        Files.write(file, kernel().build());

        assertEquals(TEXT + 0x40, PvhElfLoader.load(mem, file).entry32());
    }

    @Test
    void shouldNameFileWhenPathUnreadable(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        BootException e = assertThrows(BootException.class, () -> PvhElfLoader.load(mem, missing));
        assertTrue(e.getMessage().startsWith("kernel " + missing + ": cannot read"), e.getMessage());
    }

    @Test
    void shouldLoadTheTestGuestWhenItIsBuilt() throws IOException {
        byte[] guest;
        try (var in = getClass().getResourceAsStream("/io/vireo/guest/vireo-test-guest.elf")) {
            Assumptions.assumeTrue(in != null, "module guest not built with its ELF");
            guest = in.readAllBytes();
        }
        LoadedKernel k = PvhElfLoader.load(mem, "vireo-test-guest.elf", guest);

        assertTrue(k.lowestAddr() >= BootLayout.KERNEL_MIN_GPA);
        assertTrue(k.entry32() >= k.lowestAddr() && k.entry32() < k.highestAddrExclusive());
    }

    @Test
    void shouldDetectElfByContent() {
        assertTrue(PvhElfLoader.isElf(kernel().build()));
        assertTrue(PvhElfLoader.isElf(new byte[] {0x7f, 'E', 'L', 'F'}));
        assertFalse(PvhElfLoader.isElf(new byte[] {0x7f, 'E', 'L'}));
        assertFalse(PvhElfLoader.isElf("MZ\0\0HdrS".getBytes()));
        assertFalse(PvhElfLoader.isElf(null));
    }

    @Test
    void shouldRejectWhenNotElf() {
        byte[] image = bytes(4096, 3);
        assertEquals("kernel /k/vmlinux: not an ELF file (bad magic)", rejected(image).getMessage());
    }

    @Test
    void shouldRejectWhenHeaderTruncated() {
        byte[] image = Arrays.copyOf(kernel().build(), 40);
        assertEquals("kernel /k/vmlinux: truncated (file is 40 bytes, ELF header ends at 64)",
            rejected(image).getMessage());
    }

    @Test
    void shouldRejectWhenSegmentDataTruncated() {
        byte[] full = kernel().build();
        byte[] image = Arrays.copyOf(full, full.length - 10);
        String msg = rejected(image).getMessage();
        assertTrue(msg.contains("truncated (file is " + image.length + " bytes, segment 1 data ends at " + full.length),
            msg);
        assertRamUntouched();
    }

    @Test
    void shouldRejectWhenProgramHeaderTableOutsideFile() {
        ElfBuilder b = kernel();
        byte[] image = b.build();
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putLong(ElfLayout.EHDR64_PHOFF_OFFSET, image.length - 8);
        String msg = rejected(image).getMessage();
        assertTrue(msg.contains("truncated (file is " + image.length + " bytes, program header table ends at "
            + (image.length - 8 + 3 * b.phentsize()) + ")"), msg);
    }

    @Test
    void shouldRejectWhenProgramHeaderOffsetWouldOverflow() {
        byte[] image = kernel().build();
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putLong(ElfLayout.EHDR64_PHOFF_OFFSET, -16);
        assertTrue(rejected(image).getMessage().contains("program header table ends at beyond 2^64"));
    }

    @Test
    void shouldRejectWhenSegmentOutsideRam() {
        ElfBuilder b = new ElfBuilder().segment(RAM - 0x100, bytes(0x200, 9), 0x200).entry(RAM - 0x80);
        assertEquals("kernel /k/vmlinux: segment 0 at 0x3ffff00 (size 512) is outside guest RAM (0x0-0x4000000)",
            rejected(b.build()).getMessage());
    }

    @Test
    void shouldRejectWhenSegmentBelowOneMiB() {
        ElfBuilder b = new ElfBuilder().segment(0x7000, bytes(16, 9), 16).entry(0x7000);
        assertTrue(rejected(b.build()).getMessage().contains("segment 0 at 0x7000 is below 1 MiB"));
    }

    @Test
    void shouldRejectWhenFileSizeExceedsMemorySize() {
        ElfBuilder b = new ElfBuilder().segment(TEXT, bytes(300, 1), 200).entry(TEXT);
        assertEquals("kernel /k/vmlinux: segment 0: p_filesz 300 is larger than p_memsz 200",
            rejected(b.build()).getMessage());
        assertRamUntouched();
    }

    @Test
    void shouldRejectWhenNoPvhNote() {
        ElfBuilder b = kernel();
        b.pvhEntry = null;
        assertEquals("kernel /k/vmlinux: no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); Vireo boots ELF kernels by PVH",
            rejected(b.build()).getMessage());
    }

    @Test
    void shouldRejectWhenEntryOutsideSegments() {
        ElfBuilder b = kernel().entry(0x900000);
        assertTrue(rejected(b.build()).getMessage().contains("PVH entry 0x900000 is outside the loaded segments"));
        assertRamUntouched();
    }

    @Test
    void shouldRejectWhenEntryNoteHasOddSize() {
        ElfBuilder b = kernel();
        b.noteDescSize = 2;
        assertTrue(rejected(b.build()).getMessage().contains("2-byte descriptor; expected 4 or 8"));
    }

    @Test
    void shouldRejectWhenMachineIsNotX86() {
        ElfBuilder b = kernel();
        b.machine = 183; // EM_AARCH64
        assertTrue(rejected(b.build()).getMessage().contains("not an x86 kernel (e_machine 183"));
    }

    @Test
    void shouldRejectWhenNoteOverrunsItsSegment() {
        ElfBuilder b = kernel();
        b.leadingOtherNote = false;
        byte[] image = b.build();
        int noteOff = b.phoff + 3 * b.phentsize();
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(noteOff + ElfLayout.NOTE_DESCSZ_OFFSET, 0x7fffffff);
        assertTrue(rejected(image).getMessage().contains("malformed note"));
    }
}
