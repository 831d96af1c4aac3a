package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.vmm.boot.BzImageBuilder.Compression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinuxLoaderTest {
    private static final long MIB = TestMemory.MIB;
    private static final long GIB = TestMemory.GIB;
    private static final String NAME = "/boot/bzImage";
    private static final String CMDLINE = "console=ttyS0 root=/dev/vda rw";
    private static final long RSDP = BootLayout.ACPI_BASE;
    /** What the machine passes: the start of the 32-bit PCI hole. */
    private static final long CEILING = 3 * GIB;
    private static final long PREF = 0x100_0000;
    private static final long INIT_SIZE = 4 * MIB;

    static LinuxLoader.LoadedLinux load(GuestMemory mem, byte[] image, Optional<byte[]> initrd, String cmdline,
                                        boolean unpack) {
        return LinuxLoader.load(mem, NAME, image, initrd, cmdline, E820Map.of(mem), RSDP, CEILING, unpack);
    }

    static LinuxLoader.LoadedLinux load(GuestMemory mem, byte[] image, boolean unpack) {
        return load(mem, image, Optional.empty(), CMDLINE, unpack);
    }

    private static String refused(GuestMemory mem, byte[] image, Optional<byte[]> initrd, String cmdline,
                                  boolean unpack) {
        BootException e = assertThrows(BootException.class, () -> load(mem, image, initrd, cmdline, unpack));
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static ByteBuffer zeroPage(GuestMemory mem) {
        return ByteBuffer.wrap(mem.read(LinuxLoader.ZERO_PAGE_GPA, ZeroPage.SIZE)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] initrd(int size) {
        return BzImageBuilder.text(size, 0x21);
    }

    // --- the protected-mode kernel, entered at its 64-bit entry --------------------------------------

    @Test
    void shouldLoadProtectedModeKernelAtPrefAddressWhenNotUnpacking() {
        BzImageBuilder b = new BzImageBuilder();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            GuestMemory mem = ram.memory();
            byte[] pm = b.protectedModeKernel();

            LinuxLoader.LoadedLinux l = load(mem, b.build(), false);

            assertArrayEquals(pm, mem.read(PREF, pm.length));
            assertEquals(PREF + 0x200, l.entry64());
            assertEquals(PREF, l.loadGpa());
            assertEquals(PREF + INIT_SIZE, l.kernelEndGpa(), "the kernel owns init_size from its load address");
            assertEquals(LinuxLoader.ZERO_PAGE_GPA, l.zeroPageGpa());
            assertEquals(0, l.initrdGpa());
        }
    }

    @Test
    void shouldLoadAtDefaultAddressWhenPrefAddressIsBelow1MiB() {
        BzImageBuilder b = new BzImageBuilder().prefAddress(0x8_0000);
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            LinuxLoader.LoadedLinux l = load(ram.memory(), b.build(), false);

            assertEquals(0x100_0000, l.loadGpa());
            assertEquals(0x100_0200, l.entry64());
        }
    }

    @Test
    void shouldRefuseWhenPrefAddressIsNotAlignedToKernelAlignment() {
        byte[] image = new BzImageBuilder().prefAddress(0x110_0000).build();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            String m = refused(ram.memory(), image, Optional.empty(), CMDLINE, false);

            assertTrue(m.contains("pref_address 0x1100000") && m.contains("kernel_alignment 0x200000"), m);
        }
    }

    @Test
    void shouldWriteZeroPageAndNulTerminatedCmdlineWhenLoaded() {
        byte[] image = new BzImageBuilder().build();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            GuestMemory mem = ram.memory();
            mem.fill(BootLayout.CMDLINE_GPA, 4096, (byte) 0xee);

            load(mem, image, false);

            ByteBuffer zp = zeroPage(mem);
            assertEquals(BootLayout.CMDLINE_GPA, Integer.toUnsignedLong(zp.getInt(SetupHeader.CMD_LINE_PTR_OFFSET)));
            assertEquals(0, zp.getInt(ZeroPage.EXT_CMD_LINE_PTR_OFFSET));
            byte[] expected = Arrays.copyOf(CMDLINE.getBytes(StandardCharsets.US_ASCII), CMDLINE.length() + 1);
            assertArrayEquals(expected, mem.read(BootLayout.CMDLINE_GPA, expected.length));
            assertEquals(0xff, Byte.toUnsignedInt(zp.get(SetupHeader.TYPE_OF_LOADER_OFFSET)));
            assertEquals(RSDP, zp.getLong(ZeroPage.ACPI_RSDP_ADDR_OFFSET));
            assertEquals(E820Map.of(mem).entries().size(), zp.get(ZeroPage.E820_ENTRIES_OFFSET));
            assertEquals(0x020f, Short.toUnsignedInt(zp.getShort(SetupHeader.VERSION_OFFSET)),
                "the setup header was copied from the image");
            assertEquals(0, zp.getInt(SetupHeader.RAMDISK_IMAGE_OFFSET), "no initrd");
            assertEquals(0, zp.getInt(SetupHeader.RAMDISK_SIZE_OFFSET));
        }
    }

    @Test
    void shouldAcceptCmdlineWhenExactlyCmdlineSize() {
        byte[] image = new BzImageBuilder().cmdlineSize(16).build();
        String cmdline = "x".repeat(16);
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            load(ram.memory(), image, Optional.empty(), cmdline, false);

            assertEquals(0, ram.memory().read(BootLayout.CMDLINE_GPA + 16, 1)[0], "NUL after 16 bytes");
        }
    }

    @Test
    void shouldRefuseWhenCmdlineIsLongerThanCmdlineSize() {
        byte[] image = new BzImageBuilder().cmdlineSize(16).build();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            String m = refused(ram.memory(), image, Optional.empty(), "x".repeat(17), false);

            assertTrue(m.contains("17 bytes") && m.contains("at most 16") && m.contains(NAME), m);
        }
    }

    @Test
    void shouldRefuseNamingMemoryFlagWhenRamIsTooSmallForInitSize() {
        byte[] image = new BzImageBuilder().build();
        try (TestMemory ram = TestMemory.ofRam(18 * MIB)) {
            String m = refused(ram.memory(), image, Optional.empty(), CMDLINE, false);

            assertTrue(m.contains("init_size") && m.contains("raise --memory") && m.contains("4 MiB"), m);
        }
    }

    @Test
    void shouldRefuseWhenInitSizeExceedsLowRamOfLargeMachine() {
        byte[] image = new BzImageBuilder().initSize(0xc000_0000L).build();
        try (TestMemory ram = TestMemory.ofRam(5 * GIB)) {
            String m = refused(ram.memory(), image, Optional.empty(), CMDLINE, false);

            assertTrue(m.contains("3072 MiB of RAM") && m.contains("raise --memory"), m);
        }
    }

    @Test
    void shouldFitWhenRamEndsExactlyAtInitSizeEnd() {
        byte[] image = new BzImageBuilder().build();
        try (TestMemory ram = TestMemory.ofRam(PREF + INIT_SIZE)) {
            assertEquals(PREF + 0x200, load(ram.memory(), image, false).entry64());
        }
    }

    // --- the initrd ----------------------------------------------------------------------------------

    @Test
    void shouldPlaceInitrdPageAlignedAtTopOfRamWhenRamIsSmall() {
        byte[] image = new BzImageBuilder().build();
        byte[] initrd = initrd(3 * (int) MIB + 123);
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            GuestMemory mem = ram.memory();

            LinuxLoader.LoadedLinux l = load(mem, image, Optional.of(initrd), CMDLINE, false);

            assertEquals((256 * MIB - initrd.length) & -4096L, l.initrdGpa());
            assertArrayEquals(initrd, mem.read(l.initrdGpa(), initrd.length));
            ByteBuffer zp = zeroPage(mem);
            assertEquals(l.initrdGpa(), Integer.toUnsignedLong(zp.getInt(SetupHeader.RAMDISK_IMAGE_OFFSET)));
            assertEquals(initrd.length, zp.getInt(SetupHeader.RAMDISK_SIZE_OFFSET));
            assertEquals(0, zp.getInt(ZeroPage.EXT_RAMDISK_IMAGE_OFFSET));
        }
    }

    @Test
    void shouldKeepInitrdBelowInitrdAddrMaxWhenRamIsLarge() {
        byte[] image = new BzImageBuilder().build();
        byte[] initrd = initrd(5 * (int) MIB + 7);
        try (TestMemory ram = TestMemory.ofRam(5 * GIB)) {
            GuestMemory mem = ram.memory();

            LinuxLoader.LoadedLinux l = load(mem, image, Optional.of(initrd), CMDLINE, false);

            long limit = 0x8000_0000L; // initrd_addr_max 0x7fffffff is the last byte it may use
            assertEquals(0, l.initrdGpa() % 4096);
            assertTrue(l.initrdGpa() + initrd.length <= limit, Long.toHexString(l.initrdGpa()));
            assertEquals((limit - initrd.length) & -4096L, l.initrdGpa(), "as high as it may go");
            assertArrayEquals(initrd, mem.read(l.initrdGpa(), initrd.length));
        }
    }

    @Test
    void shouldKeepInitrdBelowLowerInitrdAddrMaxWhenHeaderSaysSo() {
        byte[] image = new BzImageBuilder().initrdAddrMax(0x37ff_ffffL).build();
        byte[] initrd = initrd(2 * (int) MIB);
        try (TestMemory ram = TestMemory.ofRam(5 * GIB)) {
            LinuxLoader.LoadedLinux l = load(ram.memory(), image, Optional.of(initrd), CMDLINE, false);

            assertEquals(0x3800_0000L - initrd.length, l.initrdGpa());
        }
    }

    @Test
    void shouldPlaceInitrdRightAfterInitSizeWhenRamIsTight() {
        byte[] image = new BzImageBuilder().build();
        byte[] initrd = initrd(4 * (int) MIB);
        try (TestMemory ram = TestMemory.ofRam(PREF + INIT_SIZE + 4 * MIB)) {
            LinuxLoader.LoadedLinux l = load(ram.memory(), image, Optional.of(initrd), CMDLINE, false);

            assertEquals(PREF + INIT_SIZE, l.initrdGpa(), "not inside the kernel's init_size");
        }
    }

    @Test
    void shouldRefuseNamingSizeWhenInitrdIsLargerThanRamAllows() {
        byte[] image = new BzImageBuilder().build();
        byte[] initrd = initrd(4 * (int) MIB + 1);
        try (TestMemory ram = TestMemory.ofRam(PREF + INIT_SIZE + 4 * MIB)) {
            String m = refused(ram.memory(), image, Optional.of(initrd), CMDLINE, false);

            assertTrue(m.contains("initrd is " + initrd.length + " bytes"), m);
        }
    }

    // --- unpack: the vmlinux from the payload, entered at startup_64 ---------------------------------

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "LZ4", "XZ", "XZ_X86"})
    void shouldLoadVmlinuxSegmentsWhenUnpackingPayload(Compression c) {
        byte[] image = new BzImageBuilder().compression(c).build();
        byte[] text = BzImageBuilder.defaultVmlinuxText();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            GuestMemory mem = ram.memory();
            mem.fill(PREF, 2 * MIB, (byte) 0xee);

            LinuxLoader.LoadedLinux l = load(mem, image, true);

            assertArrayEquals(text, mem.read(BzImageBuilder.VMLINUX_PADDR, text.length));
            assertArrayEquals(new byte[0x2000 - text.length], mem.read(PREF + text.length, 0x2000 - text.length),
                "bss zeroed");
            assertEquals(BzImageBuilder.VMLINUX_PADDR, l.entry64(), "e_entry, startup_64");
            assertEquals(BzImageBuilder.VMLINUX_PADDR, l.loadGpa());
            assertEquals(BzImageBuilder.VMLINUX_PADDR + 0x2000, l.kernelEndGpa());
            assertEquals(BootLayout.CMDLINE_GPA,
                Integer.toUnsignedLong(zeroPage(mem).getInt(SetupHeader.CMD_LINE_PTR_OFFSET)));
        }
    }

    @Test
    void shouldUseElfAddressesNotPrefAddressWhenUnpacking() {
        long paddr = 0x200_0000;
        byte[] text = BzImageBuilder.text(0x1800, 5);
        byte[] vmlinux = BzImageBuilder.vmlinux(paddr, text, 0x1800, paddr + 0x40);
        byte[] image = new BzImageBuilder().lz4().vmlinux(vmlinux).build();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            GuestMemory mem = ram.memory();

            LinuxLoader.LoadedLinux l = load(mem, image, true);

            assertEquals(paddr + 0x40, l.entry64());
            assertArrayEquals(text, mem.read(paddr, text.length));
            assertArrayEquals(new byte[16], mem.read(PREF, 16), "nothing written at pref_address");
        }
    }

    @Test
    void shouldPlaceInitrdAboveVmlinuxWhenUnpacking() {
        byte[] image = new BzImageBuilder().xz().build();
        byte[] initrd = initrd(64 * 1024);
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            GuestMemory mem = ram.memory();

            LinuxLoader.LoadedLinux l = load(mem, image, Optional.of(initrd), CMDLINE, true);

            assertTrue(l.initrdGpa() >= l.kernelEndGpa());
            assertArrayEquals(initrd, mem.read(l.initrdGpa(), initrd.length));
        }
    }

    @Test
    void shouldRefuseNamingZstdWhenUnpackingZstdPayload() {
        byte[] image = new BzImageBuilder().zstdMagic().build();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            String m = refused(ram.memory(), image, Optional.empty(), CMDLINE, true);

            assertTrue(m.contains("zstd") && m.startsWith("kernel " + NAME), m);
        }
    }

    @Test
    void shouldBootZstdKernelWhenNotUnpacking() {
        byte[] image = new BzImageBuilder().zstdMagic().build();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            assertEquals(PREF + 0x200, load(ram.memory(), image, false).entry64());
        }
    }

    /** gzip and xz streams carry their own structure and checks: a mangled middle cannot decode. */
    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "XZ", "XZ_X86"})
    void shouldRefuseAsCorruptWhenPayloadBytesAreFlipped(Compression c) {
        BzImageBuilder b = new BzImageBuilder().compression(c);
        byte[] image = b.build();
        int mid = b.payloadFileOffset() + b.payloadLength() / 2;
        for (int i = mid - 8; i < mid + 8; i++) {
            image[i] ^= (byte) 0xff;
        }
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            String m = refused(ram.memory(), image, Optional.empty(), CMDLINE, true);

            assertTrue(m.startsWith("kernel " + NAME + ": corrupt payload"), m);
        }
    }

    /**
     * The legacy LZ4 frame has no checksum, so flipped literals decode to other bytes unnoticed (as in the
     * kernel's own decompressor); what must be caught is a broken frame: here a block size word.
     */
    @Test
    void shouldRefuseAsCorruptWhenLz4BlockSizeIsFlipped() {
        BzImageBuilder b = new BzImageBuilder().lz4();
        byte[] image = b.build();
        image[b.payloadFileOffset() + 4] ^= (byte) 0xff;
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            String m = refused(ram.memory(), image, Optional.empty(), CMDLINE, true);

            assertTrue(m.startsWith("kernel " + NAME + ": corrupt payload"), m);
        }
    }

    /** Every single-byte flip of the payload: the kernel loads, or one BootException; nothing else escapes. */
    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "LZ4", "XZ", "XZ_X86"})
    void shouldThrowOnlyBootExceptionWhenAnyPayloadByteIsFlipped(Compression c) {
        BzImageBuilder b = new BzImageBuilder().compression(c);
        byte[] image = b.build();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            for (int i = 0; i < b.payloadLength(); i++) {
                for (int bits : new int[] {0x01, 0x80, 0xff}) {
                    byte[] corrupt = image.clone();
                    corrupt[b.payloadFileOffset() + i] ^= (byte) bits;
                    try {
                        load(ram.memory(), corrupt, true);
                    } catch (BootException expected) {
                        assertTrue(expected.getMessage().startsWith("kernel " + NAME), expected.getMessage());
                    } catch (RuntimeException | Error e) {
                        throw new AssertionError(c + " payload byte " + i + " ^ 0x" + Integer.toHexString(bits)
                            + " let " + e + " escape", e);
                    }
                }
            }
        }
    }

    @Test
    void shouldRefuseOrSkipWithoutOtherExceptionWhenInitrdIsEmpty() {
        byte[] image = new BzImageBuilder().build();
        try (TestMemory ram = TestMemory.ofRam(256 * MIB)) {
            try {
                LinuxLoader.LoadedLinux l = load(ram.memory(), image, Optional.of(new byte[0]), CMDLINE, false);
                assertEquals(0, zeroPage(ram.memory()).getInt(SetupHeader.RAMDISK_SIZE_OFFSET), "no initrd");
                assertEquals(0, l.initrdGpa());
            } catch (BootException e) {
                assertTrue(e.getMessage().contains("initrd"), e.getMessage());
            }
        }
    }
}
