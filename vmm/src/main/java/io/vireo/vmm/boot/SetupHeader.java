package io.vireo.vmm.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The bzImage setup header (Documentation/arch/x86/boot.rst, "The real-mode kernel header"), parsed
 * and validated. Offsets are the same in the file and in the zero page ({@code struct boot_params}).
 *
 * <pre>
 * offset  size  field               offset  size  field
 * 0x1f1   1     setup_sects         0x228   4     cmd_line_ptr
 * 0x1f4   4     syssize (16 B units) 0x22c   4     initrd_addr_max (last byte)
 * 0x1fe   2     boot_flag 0xAA55    0x230   4     kernel_alignment
 * 0x201   1     jump displacement   0x234   1     relocatable_kernel
 * 0x202   4     "HdrS"              0x236   2     xloadflags
 * 0x206   2     version             0x238   4     cmdline_size (without NUL)
 * 0x210   1     type_of_loader      0x258   8     pref_address
 * 0x211   1     loadflags           0x260   4     init_size
 * 0x218   4     ramdisk_image       0x21c   4     ramdisk_size
 * 0x224   2     heap_end_ptr
 * </pre>
 */
public record SetupHeader(int setupSects, int version, int loadflags, long syssizeBytes, long initrdAddrMax,
                          long kernelAlignment, boolean relocatable, int xloadflags, long cmdlineSize,
                          long prefAddress, long initSize, int headerEnd) {
    public static final int SETUP_SECTS_OFFSET = 0x1f1;
    public static final int SYSSIZE_OFFSET = 0x1f4;
    public static final int BOOT_FLAG_OFFSET = 0x1fe;
    public static final int JUMP_OFFSET = 0x200;
    public static final int HEADER_OFFSET = 0x202;
    public static final int VERSION_OFFSET = 0x206;
    public static final int TYPE_OF_LOADER_OFFSET = 0x210;
    public static final int LOADFLAGS_OFFSET = 0x211;
    public static final int RAMDISK_IMAGE_OFFSET = 0x218;
    public static final int RAMDISK_SIZE_OFFSET = 0x21c;
    public static final int HEAP_END_PTR_OFFSET = 0x224;
    public static final int CMD_LINE_PTR_OFFSET = 0x228;
    public static final int INITRD_ADDR_MAX_OFFSET = 0x22c;
    public static final int KERNEL_ALIGNMENT_OFFSET = 0x230;
    public static final int RELOCATABLE_OFFSET = 0x234;
    public static final int XLOADFLAGS_OFFSET = 0x236;
    public static final int CMDLINE_SIZE_OFFSET = 0x238;
    public static final int PREF_ADDRESS_OFFSET = 0x258;
    public static final int INIT_SIZE_OFFSET = 0x260;
    /** The setup header never extends past the zero page's edd_mbr_sig_buffer. */
    public static final int MAX_HEADER_END = 0x290;

    public static final int MAGIC_HDRS = 0x5372_6448; // "HdrS", little-endian
    public static final int BOOT_FLAG = 0xaa55;
    /** 2.12: xloadflags, and with it a declared 64-bit entry point. */
    public static final int MIN_VERSION = 0x020c;
    public static final int LOADED_HIGH = 0x01;
    public static final int CAN_USE_HEAP = 0x80;
    public static final int XLF_KERNEL_64 = 0x01;
    public static final int XLF_CAN_BE_LOADED_ABOVE_4G = 0x02;
    public static final int SECTOR = 512;

    /** Whether the image looks like a bzImage at all ("HdrS" at 0x202): content, not file name, decides. */
    public static boolean isBzImage(byte[] image) {
        return image.length >= HEADER_OFFSET + 4 && le(image).getInt(HEADER_OFFSET) == MAGIC_HDRS;
    }

    /** Parses and checks the header; every failure is one {@link BootException} line naming the kernel. */
    public static SetupHeader parse(String name, byte[] image) {
        if (!isBzImage(image)) {
            throw new BootException("kernel " + name + ": not a bzImage (no \"HdrS\" at 0x202)");
        }
        if (image.length < INIT_SIZE_OFFSET + 4) {
            throw new BootException("kernel " + name + ": truncated (file is " + image.length
                + " bytes; the setup header alone needs " + (INIT_SIZE_OFFSET + 4) + ")");
        }
        ByteBuffer b = le(image);
        int version = Short.toUnsignedInt(b.getShort(VERSION_OFFSET));
        if (version < MIN_VERSION) {
            throw new BootException(String.format("kernel %s: boot protocol %d.%02d is too old; Vireo needs 2.12 or"
                + " newer (a 64-bit entry point)", name, version >> 8, version & 0xff));
        }
        if (Short.toUnsignedInt(b.getShort(BOOT_FLAG_OFFSET)) != BOOT_FLAG) {
            throw new BootException("kernel " + name + ": bad boot_flag (0x1fe is not 0xAA55)");
        }
        int loadflags = Byte.toUnsignedInt(b.get(LOADFLAGS_OFFSET));
        if ((loadflags & LOADED_HIGH) == 0) {
            throw new BootException("kernel " + name + ": a zImage (loads below 1 MiB); Vireo boots bzImages");
        }
        int xloadflags = Short.toUnsignedInt(b.getShort(XLOADFLAGS_OFFSET));
        if ((xloadflags & XLF_KERNEL_64) == 0) {
            throw new BootException("kernel " + name + ": has no 64-bit entry point (xloadflags bit 0 clear)");
        }
        int setupSects = Byte.toUnsignedInt(b.get(SETUP_SECTS_OFFSET));
        if (setupSects == 0) {
            setupSects = 4; // boot.rst: "If this field is 0, the real value is 4."
        }
        long syssize = Integer.toUnsignedLong(b.getInt(SYSSIZE_OFFSET)) * 16;
        long kernelOffset = (long) (setupSects + 1) * SECTOR;
        if (kernelOffset + syssize > image.length || syssize == 0) {
            throw new BootException("kernel " + name + ": truncated (file is " + image.length + " bytes; its header"
                + " says " + (kernelOffset + syssize) + ")");
        }
        long alignment = Integer.toUnsignedLong(b.getInt(KERNEL_ALIGNMENT_OFFSET));
        if (alignment == 0 || Long.bitCount(alignment) != 1) {
            throw new BootException("kernel " + name + ": kernel_alignment 0x" + Long.toHexString(alignment)
                + " is not a power of two");
        }
        int headerEnd = Math.min(HEADER_OFFSET + Byte.toUnsignedInt(b.get(JUMP_OFFSET + 1)), MAX_HEADER_END);
        return new SetupHeader(setupSects, version, loadflags, syssize,
            Integer.toUnsignedLong(b.getInt(INITRD_ADDR_MAX_OFFSET)), alignment, b.get(RELOCATABLE_OFFSET) != 0,
            xloadflags, Integer.toUnsignedLong(b.getInt(CMDLINE_SIZE_OFFSET)), b.getLong(PREF_ADDRESS_OFFSET),
            Integer.toUnsignedLong(b.getInt(INIT_SIZE_OFFSET)), headerEnd);
    }

    /** File offset of the protected-mode kernel. */
    public long kernelOffset() {
        return (long) (setupSects + 1) * SECTOR;
    }

    private static ByteBuffer le(byte[] image) {
        return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    }
}
