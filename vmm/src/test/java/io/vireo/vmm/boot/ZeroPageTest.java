package io.vireo.vmm.boot;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZeroPageTest {
    private static final long CMDLINE = BootLayout.CMDLINE_GPA;
    private static final long RSDP = 0xe0000;
    private static final List<E820Entry> E820 = List.of(
        new E820Entry(0, 0x9fc00, E820Entry.TYPE_RAM),
        new E820Entry(0x9fc00, 0x400, E820Entry.TYPE_RESERVED),
        new E820Entry(0xe0000, 0x20000, E820Entry.TYPE_RESERVED),
        new E820Entry(0x100000, 0xbff0_0000L, E820Entry.TYPE_RAM),
        new E820Entry(0x1_0000_0000L, 0x8000_0000L, E820Entry.TYPE_RAM));

    private static ByteBuffer build(byte[] image, long initrd, long initrdSize, List<E820Entry> e820) {
        SetupHeader h = SetupHeader.parse("bzImage", image);
        byte[] page = ZeroPage.build(image, h, CMDLINE, initrd, initrdSize, e820, RSDP);
        assertEquals(ZeroPage.SIZE, page.length);
        return ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] bytes(ByteBuffer b, int from, int to) {
        return Arrays.copyOfRange(b.array(), from, to);
    }

    /** The image's header bytes, with the fields the loader fills in as it fills them. */
    private static byte[] expectedHeader(byte[] image, int end) {
        byte[] h = Arrays.copyOfRange(image, SetupHeader.SETUP_SECTS_OFFSET, end);
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        int base = SetupHeader.SETUP_SECTS_OFFSET;
        b.put(SetupHeader.TYPE_OF_LOADER_OFFSET - base, (byte) 0xff);
        b.put(SetupHeader.LOADFLAGS_OFFSET - base,
            (byte) (image[SetupHeader.LOADFLAGS_OFFSET] | SetupHeader.CAN_USE_HEAP));
        b.putShort(SetupHeader.HEAP_END_PTR_OFFSET - base, (short) 0xfe00);
        b.putInt(SetupHeader.CMD_LINE_PTR_OFFSET - base, (int) CMDLINE);
        b.putInt(SetupHeader.RAMDISK_IMAGE_OFFSET - base, 0);
        b.putInt(SetupHeader.RAMDISK_SIZE_OFFSET - base, 0);
        return h;
    }

    @Test
    void shouldCopySetupHeaderUpToJumpDeclaredEndWhenJumpIs0x66() {
        byte[] image = new BzImageBuilder().build();

        ByteBuffer page = build(image, 0, 0, E820);

        assertArrayEquals(expectedHeader(image, 0x268), bytes(page, 0x1f1, 0x268));
        assertArrayEquals(new byte[0x2d0 - 0x268], bytes(page, 0x268, 0x2d0),
            "nothing of the image past 0x202 + 0x66; the image has 0xcc filler there");
        assertArrayEquals(new byte[0x1f1 - 0x1e9], bytes(page, 0x1e9, 0x1f1), "nothing before 0x1f1");
    }

    @Test
    void shouldCopyKernelInfoOffsetWhenJumpDeclaresLongerHeader() {
        byte[] image = new BzImageBuilder().jumpDisplacement(0x6a).build();

        ByteBuffer page = build(image, 0, 0, E820);

        assertArrayEquals(expectedHeader(image, 0x26c), bytes(page, 0x1f1, 0x26c));
        assertArrayEquals(new byte[0x2d0 - 0x26c], bytes(page, 0x26c, 0x2d0));
    }

    @Test
    void shouldStopCopyAt0x290WhenJumpDeclaresMore() {
        byte[] image = new BzImageBuilder().jumpDisplacement(0xff).build();

        ByteBuffer page = build(image, 0, 0, E820);

        assertArrayEquals(expectedHeader(image, 0x290), bytes(page, 0x1f1, 0x290));
        assertArrayEquals(new byte[0x2d0 - 0x290], bytes(page, 0x290, 0x2d0), "edd_mbr_sig_buffer stays zero");
    }

    @Test
    void shouldSetTypeOfLoaderAndCanUseHeapWhenBuilt() {
        ByteBuffer page = build(new BzImageBuilder().build(), 0, 0, E820);

        assertEquals((byte) 0xff, page.get(0x210));
        assertEquals(SetupHeader.LOADED_HIGH | SetupHeader.CAN_USE_HEAP, Byte.toUnsignedInt(page.get(0x211)));
        assertEquals((short) 0xfe00, page.getShort(0x224));
    }

    @Test
    void shouldFillCmdlineAndInitrdWithZeroHighHalvesWhenBelow4GiB() {
        ByteBuffer page = build(new BzImageBuilder().build(), 0x7f00_0000L, 0x12_3456, E820);

        assertEquals((int) CMDLINE, page.getInt(0x228));
        assertEquals(0, page.getInt(0x0c8));
        assertEquals(0x7f00_0000, page.getInt(0x218));
        assertEquals(0, page.getInt(0x0c0));
        assertEquals(0x12_3456, page.getInt(0x21c));
        assertEquals(0, page.getInt(0x0c4));
    }

    @Test
    void shouldSplitAddressesIntoExtHighHalvesWhenAbove4GiB() {
        byte[] image = new BzImageBuilder().build();
        SetupHeader h = SetupHeader.parse("bzImage", image);
        long cmdline = 0x1_2345_6000L;
        long initrd = 0x2_8000_0000L;
        long size = 0x1_0000_1000L;

        ByteBuffer page = ByteBuffer.wrap(ZeroPage.build(image, h, cmdline, initrd, size, E820, RSDP))
            .order(ByteOrder.LITTLE_ENDIAN);

        assertEquals(0x2345_6000, page.getInt(0x228), "cmd_line_ptr");
        assertEquals(0x1, page.getInt(0x0c8), "ext_cmd_line_ptr");
        assertEquals(0x8000_0000, page.getInt(0x218), "ramdisk_image");
        assertEquals(0x2, page.getInt(0x0c0), "ext_ramdisk_image");
        assertEquals(0x1000, page.getInt(0x21c), "ramdisk_size");
        assertEquals(0x1, page.getInt(0x0c4), "ext_ramdisk_size");
    }

    @Test
    void shouldWriteAcpiRsdpAddrAt0x70WhenBuilt() {
        ByteBuffer page = build(new BzImageBuilder().build(), 0, 0, E820);

        assertEquals(RSDP, page.getLong(0x70));
    }

    @Test
    void shouldWritePackedE820TableWhenBuilt() {
        ByteBuffer page = build(new BzImageBuilder().build(), 0, 0, E820);

        assertEquals(E820.size(), Byte.toUnsignedInt(page.get(0x1e8)));
        for (int i = 0; i < E820.size(); i++) {
            int at = 0x2d0 + 20 * i;
            E820Entry e = E820.get(i);
            assertEquals(e.addr(), page.getLong(at), "addr " + i);
            assertEquals(e.size(), page.getLong(at + 8), "size " + i);
            assertEquals(e.type(), page.getInt(at + 16), "type " + i);
        }
        int end = 0x2d0 + 20 * E820.size();
        assertArrayEquals(new byte[ZeroPage.SIZE - end], bytes(page, end, ZeroPage.SIZE));
    }

    @Test
    void shouldKeepSentinelZeroWhenImageHasNonZeroByteThere() {
        byte[] image = new BzImageBuilder().build();
        assertEquals(0x5a, image[0x1ef], "the builder's boot sector has a byte at 0x1ef");

        ByteBuffer page = build(image, 0, 0, E820);

        assertEquals(0, page.get(0x1ef));
    }

    @Test
    void shouldFillWholeTableWhenMapHas128Entries() {
        List<E820Entry> e820 = ram(128);

        ByteBuffer page = build(new BzImageBuilder().build(), 0, 0, e820);

        assertEquals(128, Byte.toUnsignedInt(page.get(0x1e8)));
        int last = 0x2d0 + 20 * 127;
        assertEquals(e820.get(127).addr(), page.getLong(last));
        assertTrue(last + 20 <= ZeroPage.SIZE);
    }

    @Test
    void shouldRefuseWhenMapHasMoreThan128Entries() {
        byte[] image = new BzImageBuilder().build();
        SetupHeader h = SetupHeader.parse("bzImage", image);

        BootException e = assertThrows(BootException.class,
            () -> ZeroPage.build(image, h, CMDLINE, 0, 0, ram(129), RSDP));

        assertTrue(e.getMessage().contains("129") && e.getMessage().contains("128"), e.getMessage());
    }

    private static List<E820Entry> ram(int n) {
        List<E820Entry> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new E820Entry(0x1_0000_0000L + i * 0x20_0000L, 0x10_0000, E820Entry.TYPE_RAM));
        }
        return list;
    }
}
