package io.vireo.vmm.boot;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SetupHeaderTest {
    private static final String NAME = "/boot/bzImage";

    private static String refused(byte[] image) {
        BootException e = assertThrows(BootException.class, () -> SetupHeader.parse(NAME, image));
        String m = e.getMessage();
        assertTrue(m.startsWith("kernel " + NAME + ": "), m);
        assertFalse(m.contains("\n"), "one line: " + m);
        return m;
    }

    @Test
    void shouldParseEveryFieldWhenHeaderIsGood() {
        BzImageBuilder b = new BzImageBuilder();
        byte[] image = b.build();

        SetupHeader h = SetupHeader.parse(NAME, image);

        assertEquals(4, h.setupSects());
        assertEquals(0x020f, h.version());
        assertEquals(SetupHeader.LOADED_HIGH, h.loadflags());
        assertEquals(image.length - 5 * 512, h.syssizeBytes());
        assertEquals(0x7fff_ffffL, h.initrdAddrMax());
        assertEquals(0x20_0000L, h.kernelAlignment());
        assertTrue(h.relocatable());
        assertEquals(0x3, h.xloadflags());
        assertEquals(2047, h.cmdlineSize());
        assertEquals(0x100_0000L, h.prefAddress());
        assertEquals(4L << 20, h.initSize());
        assertEquals(0x268, h.headerEnd());
        assertEquals(5 * 512, h.kernelOffset());
        assertTrue(SetupHeader.isBzImage(image));
    }

    @Test
    void shouldReadUnsignedFieldsWhenHighBitsAreSet() {
        SetupHeader h = SetupHeader.parse(NAME, new BzImageBuilder().initrdAddrMax(0xffff_ffffL)
            .cmdlineSize(0x8000_0000L).initSize(0xc000_0000L).build());

        assertEquals(0xffff_ffffL, h.initrdAddrMax());
        assertEquals(0x8000_0000L, h.cmdlineSize());
        assertEquals(0xc000_0000L, h.initSize());
    }

    @Test
    void shouldTreatSetupSectsZeroAsFourWhenParsing() {
        BzImageBuilder b = new BzImageBuilder().setupSects(0);
        byte[] image = b.build();

        SetupHeader h = SetupHeader.parse(NAME, image);

        assertEquals(4, h.setupSects());
        assertEquals(5 * 512, h.kernelOffset());
        assertEquals(image.length - 5 * 512, h.syssizeBytes());
    }

    @Test
    void shouldPlaceProtectedModeKernelAfterSetupSectsWhenNotFour() {
        BzImageBuilder b = new BzImageBuilder().setupSects(30);
        byte[] image = b.build();

        SetupHeader h = SetupHeader.parse(NAME, image);

        assertEquals(31 * 512, h.kernelOffset());
        assertEquals(image.length - 31 * 512, h.syssizeBytes());
    }

    @Test
    void shouldClampHeaderEndWhenJumpPointsPastSetupHeaderArea() {
        SetupHeader h = SetupHeader.parse(NAME, new BzImageBuilder().jumpDisplacement(0xff).build());

        assertEquals(SetupHeader.MAX_HEADER_END, h.headerEnd());
    }

    @Test
    void shouldRefuseAsNotBzImageWhenHdrSIsMissing() {
        byte[] image = new BzImageBuilder().withoutHdrS().build();

        assertFalse(SetupHeader.isBzImage(image));
        assertTrue(refused(image).contains("not a bzImage"));
    }

    @Test
    void shouldRefuseAsNotBzImageWhenFileIsShorterThanMagic() {
        assertFalse(SetupHeader.isBzImage(new byte[0x204]));
        assertTrue(refused(new byte[0x100]).contains("not a bzImage"));
    }

    @Test
    void shouldRefuseAsTruncatedWhenFileEndsInsideHeader() {
        String m = refused(new BzImageBuilder().truncateTo(0x240).build());

        assertTrue(m.contains("truncated"), m);
        assertTrue(m.contains("576 bytes"), "names the file size: " + m);
    }

    @Test
    void shouldRefuseAsTruncatedWhenFileIsShorterThanSetupPlusSyssize() {
        BzImageBuilder b = new BzImageBuilder();
        int full = b.build().length;

        String m = refused(b.truncateTo(full - 1).build());

        assertTrue(m.contains("truncated"), m);
        assertTrue(m.contains((full - 1) + " bytes") && m.contains("says " + full), m);
    }

    @Test
    void shouldRefuseAsTruncatedWhenSetupSectorsAreCut() {
        String m = refused(new BzImageBuilder().setupSects(4).truncateTo(0x300).build());

        assertTrue(m.contains("truncated"), m);
    }

    @Test
    void shouldRefuseWhenProtocolIs211() {
        String m = refused(new BzImageBuilder().version(0x020b).build());

        assertTrue(m.contains("2.11") && m.contains("too old") && m.contains("2.12"), m);
    }

    @Test
    void shouldRefuseWhenProtocolIs202() {
        String m = refused(new BzImageBuilder().version(0x0202).build());

        assertTrue(m.contains("2.02") && m.contains("too old") && m.contains("2.12"), m);
    }

    @Test
    void shouldAcceptWhenProtocolIsExactly212() {
        assertEquals(0x020c, SetupHeader.parse(NAME, new BzImageBuilder().version(0x020c).build()).version());
    }

    @Test
    void shouldRefuseWhenBootFlagIsNotAa55() {
        String m = refused(new BzImageBuilder().bootFlag(0x55aa).build());

        assertTrue(m.contains("boot_flag"), m);
    }

    @Test
    void shouldRefuseWhenXloadflagsLacksKernel64() {
        String m = refused(new BzImageBuilder().xloadflags(SetupHeader.XLF_CAN_BE_LOADED_ABOVE_4G).build());

        assertTrue(m.contains("64-bit entry") && m.contains("xloadflags"), m);
    }

    @Test
    void shouldRefuseAsZImageWhenLoadflagsLacksLoadedHigh() {
        String m = refused(new BzImageBuilder().loadflags(0).build());

        assertTrue(m.contains("zImage"), m);
    }

    @Test
    void shouldRefuseWhenKernelAlignmentIsNotPowerOfTwo() {
        String m = refused(new BzImageBuilder().kernelAlignment(0x30_0000).build());

        assertTrue(m.contains("kernel_alignment 0x300000") && m.contains("power of two"), m);
    }

    @Test
    void shouldRefuseWhenKernelAlignmentIsZero() {
        String m = refused(new BzImageBuilder().kernelAlignment(0).build());

        assertTrue(m.contains("kernel_alignment 0x0"), m);
    }
}
