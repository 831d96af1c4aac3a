package io.vireo.vmm.boot;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import org.tukaani.xz.FilterOptions;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.X86Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

/**
 * Builds a synthetic but protocol-correct bzImage (Documentation/arch/x86/boot.rst) for loader tests.
 *
 * <pre>
 * file offset                       what
 * 0x000                             real-mode boot sector (filler, 0x1ef = 0x5a to catch a copied sentinel)
 * 0x1f1 .. 0x202 + jump disp        setup header (see {@link SetupHeader}); zero-filled to 0x268
 * 0x2a0                             kernel_version string
 * .. (setup_sects + 1) * 512        rest of the real-mode setup (filler 0xcc)
 * kernelOffset + 0x000              protected-mode kernel: startup_32 stand-in (filler)
 * kernelOffset + 0x200              startup_64 stand-in (filler)
 * kernelOffset + PAYLOAD_OFFSET     payload: compressed vmlinux + LE u32 uncompressed size
 * ..                                decompressor stand-in, padded to 16 bytes (syssize units)
 * </pre>
 *
 * <p>The payload's trailer follows arch/x86/boot/compressed/Makefile and scripts/Makefile.lib: lz4 and xz get
 * {@code size_append}; gzip does not, because the gzip member already ends with ISIZE, the same LE u32.
 */
public final class BzImageBuilder {
    /** Where the default vmlinux's only PT_LOAD goes, and its e_entry (startup_64, physical). */
    public static final long VMLINUX_PADDR = 0x100_0000;
    /** payload_offset: relative to the protected-mode kernel, past the startup_64 stand-in. */
    public static final int PAYLOAD_OFFSET = 0x400;
    /** Bytes of decompressor stand-in after the payload. */
    private static final int TAIL_BYTES = 0x130;
    private static final int LZ4_LEGACY_MAGIC = 0x184c2102;
    private static final int LZ4_LEGACY_BLOCK = 8 << 20;
    private static final int E_ENTRY_OFFSET = 24;
    /** The end of the fields this builder writes: handover_offset, the last field of protocol 2.12. */
    public static final int V2_12_HEADER_END = 0x268;
    /** Past the largest header (0x290) and inside even a one-sector setup. */
    private static final int KERNEL_VERSION_STRING = 0x2a0;

    /** How the payload is made. */
    public enum Compression { GZIP, LZ4, XZ, XZ_X86, ZSTD_MAGIC }

    private int setupSects = 4;
    private int version = 0x020f;
    private int loadflags = SetupHeader.LOADED_HIGH;
    private int bootFlag = SetupHeader.BOOT_FLAG;
    private int xloadflags = SetupHeader.XLF_KERNEL_64 | SetupHeader.XLF_CAN_BE_LOADED_ABOVE_4G;
    private int jumpDisplacement = 0x66;
    private boolean hdrS = true;
    private long kernelAlignment = 0x20_0000;
    private long initSize = 4L << 20;
    private long initrdAddrMax = 0x7fff_ffffL;
    private long cmdlineSize = 2047;
    private long prefAddress = 0x100_0000;
    private Compression compression = Compression.GZIP;
    private byte[] vmlinux;
    private byte[] rawPayload;
    private int truncateTo = -1;

    private int builtPayloadFileOffset;
    private int builtPayloadLength;

    /** A small vmlinux: ELF64, one PT_LOAD of text at {@link #VMLINUX_PADDR} with some bss, e_entry there too. */
    public static byte[] defaultVmlinux() {
        return vmlinux(VMLINUX_PADDR, text(0x600, 3), 0x2000, VMLINUX_PADDR);
    }

    /** An ELF64 vmlinux with one PT_LOAD; e_entry is physical, as in a real x86-64 vmlinux. */
    public static byte[] vmlinux(long paddr, byte[] data, long memsz, long entry) {
        byte[] elf = new ElfBuilder().segment(paddr, data, memsz).build();
        ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN).putLong(E_ENTRY_OFFSET, entry);
        return elf;
    }

    /** The text of {@link #defaultVmlinux()}'s PT_LOAD. */
    public static byte[] defaultVmlinuxText() {
        return text(0x600, 3);
    }

    /** Deterministic, compressible but not trivial, bytes. */
    public static byte[] text(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + (i % 61) * 7 + (i / 97));
        }
        return b;
    }

    public BzImageBuilder setupSects(int value) {
        setupSects = value;
        return this;
    }

    public BzImageBuilder version(int value) {
        version = value;
        return this;
    }

    public BzImageBuilder loadflags(int value) {
        loadflags = value;
        return this;
    }

    public BzImageBuilder bootFlag(int value) {
        bootFlag = value;
        return this;
    }

    public BzImageBuilder xloadflags(int value) {
        xloadflags = value;
        return this;
    }

    /** The byte at 0x201: the header ends at 0x202 + this (boot.rst, "the end of setup header"). */
    public BzImageBuilder jumpDisplacement(int value) {
        jumpDisplacement = value;
        return this;
    }

    /** Leaves 0x202 without "HdrS" (an old zImage or not a kernel at all). */
    public BzImageBuilder withoutHdrS() {
        hdrS = false;
        return this;
    }

    public BzImageBuilder kernelAlignment(long value) {
        kernelAlignment = value;
        return this;
    }

    public BzImageBuilder initSize(long value) {
        initSize = value;
        return this;
    }

    public BzImageBuilder initrdAddrMax(long value) {
        initrdAddrMax = value;
        return this;
    }

    public BzImageBuilder cmdlineSize(long value) {
        cmdlineSize = value;
        return this;
    }

    public BzImageBuilder prefAddress(long value) {
        prefAddress = value;
        return this;
    }

    public BzImageBuilder compression(Compression value) {
        compression = value;
        return this;
    }

    public BzImageBuilder gzip() {
        return compression(Compression.GZIP);
    }

    public BzImageBuilder lz4() {
        return compression(Compression.LZ4);
    }

    /** xz with the x86 BCJ filter in front of LZMA2, as scripts/xz_wrap.sh does for x86. */
    public BzImageBuilder xz() {
        return compression(Compression.XZ_X86);
    }

    /** xz with LZMA2 alone. */
    public BzImageBuilder xzPlain() {
        return compression(Compression.XZ);
    }

    /** A payload that starts with the zstd frame magic (28 b5 2f fd); not decodable, only recognisable. */
    public BzImageBuilder zstdMagic() {
        return compression(Compression.ZSTD_MAGIC);
    }

    /** The vmlinux to compress instead of {@link #defaultVmlinux()}. */
    public BzImageBuilder vmlinux(byte[] elf) {
        vmlinux = elf.clone();
        return this;
    }

    /** These exact payload bytes (trailer included), instead of a compressed vmlinux. */
    public BzImageBuilder rawPayload(byte[] payload) {
        rawPayload = payload.clone();
        return this;
    }

    /** Cuts the built file to its first {@code bytes} bytes (the header still describes the whole kernel). */
    public BzImageBuilder truncateTo(int bytes) {
        truncateTo = bytes;
        return this;
    }

    /** File offset of the payload in the last built image. */
    public int payloadFileOffset() {
        return builtPayloadFileOffset;
    }

    /** payload_length of the last built image. */
    public int payloadLength() {
        return builtPayloadLength;
    }

    /** File offset of the protected-mode kernel: (setup_sects + 1) * 512, with 0 meaning 4. */
    public int kernelOffset() {
        return ((setupSects == 0 ? 4 : setupSects) + 1) * SetupHeader.SECTOR;
    }

    /** The protected-mode kernel of a build with these settings (syssize * 16 bytes). */
    public byte[] protectedModeKernel() {
        byte[] image = build();
        return Arrays.copyOfRange(image, kernelOffset(), kernelOffset() + protectedModeSize());
    }

    private int protectedModeSize() {
        return alignUp(PAYLOAD_OFFSET + payload().length + TAIL_BYTES, 16);
    }

    public byte[] build() {
        byte[] payload = payload();
        int kernelOffset = kernelOffset();
        int pmSize = protectedModeSize();
        byte[] image = new byte[kernelOffset + pmSize];

        // Real-mode part: filler everywhere, so a copy that runs past the header end shows up.
        Arrays.fill(image, 0, kernelOffset, (byte) 0xcc);
        Arrays.fill(image, 0, SetupHeader.SETUP_SECTS_OFFSET, (byte) 0x33);
        image[ZeroPage.SENTINEL_OFFSET] = 0x5a;
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        // Header fields this builder does not set are zero, as in a real header (root_dev, ram_size, ...);
        // past 0x268 (the end of a 2.12 header) the filler stays, whatever the jump declares.
        Arrays.fill(image, SetupHeader.SETUP_SECTS_OFFSET, V2_12_HEADER_END, (byte) 0);
        b.put(SetupHeader.SETUP_SECTS_OFFSET, (byte) setupSects);
        b.putInt(SetupHeader.SYSSIZE_OFFSET, pmSize / 16);
        b.putShort(SetupHeader.BOOT_FLAG_OFFSET, (short) bootFlag);
        b.put(SetupHeader.JUMP_OFFSET, (byte) 0xeb);
        b.put(SetupHeader.JUMP_OFFSET + 1, (byte) jumpDisplacement);
        if (hdrS) {
            b.putInt(SetupHeader.HEADER_OFFSET, SetupHeader.MAGIC_HDRS);
        }
        b.putShort(SetupHeader.VERSION_OFFSET, (short) version);
        b.put(SetupHeader.LOADFLAGS_OFFSET, (byte) loadflags);
        b.putInt(0x214, 0x10_0000); // code32_start
        // kernel_version: a pointer, less 0x200, to a NUL-terminated string in the setup sectors.
        byte[] release = "6.12.0-vireo-test (builder@vireo) #1 SMP\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(release, 0, image, KERNEL_VERSION_STRING, release.length);
        b.putShort(0x20e, (short) (KERNEL_VERSION_STRING - 0x200));
        b.putInt(SetupHeader.INITRD_ADDR_MAX_OFFSET, (int) initrdAddrMax);
        b.putInt(SetupHeader.KERNEL_ALIGNMENT_OFFSET, (int) kernelAlignment);
        b.put(SetupHeader.RELOCATABLE_OFFSET, (byte) 1);
        b.put(0x235, (byte) Long.numberOfTrailingZeros(Math.max(kernelAlignment, 1))); // min_alignment
        b.putShort(SetupHeader.XLOADFLAGS_OFFSET, (short) xloadflags);
        b.putInt(SetupHeader.CMDLINE_SIZE_OFFSET, (int) cmdlineSize);
        b.putInt(KernelPayload.PAYLOAD_OFFSET_OFFSET, PAYLOAD_OFFSET);
        b.putInt(KernelPayload.PAYLOAD_LENGTH_OFFSET, payload.length);
        b.putLong(SetupHeader.PREF_ADDRESS_OFFSET, prefAddress);
        b.putInt(SetupHeader.INIT_SIZE_OFFSET, (int) initSize);

        // Protected-mode part: startup_32 and startup_64 stand-ins, the payload, a decompressor stand-in.
        byte[] head = text(PAYLOAD_OFFSET, 0x40);
        System.arraycopy(head, 0, image, kernelOffset, PAYLOAD_OFFSET);
        System.arraycopy(payload, 0, image, kernelOffset + PAYLOAD_OFFSET, payload.length);
        int tailAt = kernelOffset + PAYLOAD_OFFSET + payload.length;
        byte[] tail = text(image.length - tailAt, 0x77);
        System.arraycopy(tail, 0, image, tailAt, tail.length);

        builtPayloadFileOffset = kernelOffset + PAYLOAD_OFFSET;
        builtPayloadLength = payload.length;
        return truncateTo >= 0 ? Arrays.copyOf(image, truncateTo) : image;
    }

    private byte[] payload() {
        if (rawPayload != null) {
            return rawPayload.clone();
        }
        byte[] elf = vmlinux != null ? vmlinux : defaultVmlinux();
        return switch (compression) {
            case GZIP -> gzip(elf);
            case LZ4 -> sizeAppended(lz4Legacy(elf), elf.length);
            case XZ -> sizeAppended(xz(elf, false), elf.length);
            case XZ_X86 -> sizeAppended(xz(elf, true), elf.length);
            case ZSTD_MAGIC -> {
                byte[] fake = text(64, 9);
                fake[0] = 0x28;
                fake[1] = (byte) 0xb5;
                fake[2] = 0x2f;
                fake[3] = (byte) 0xfd;
                yield sizeAppended(fake, elf.length);
            }
        };
    }

    /** gzip -n -9: no size_append, the member's ISIZE is already the LE u32 size at the end. */
    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** lz4 -l: the legacy frame, LE u32 magic, then {LE u32 compressed size, block} per 8 MiB of input. */
    public static byte[] lz4Legacy(byte[] data) {
        LZ4Compressor lz4 = LZ4Factory.safeInstance().highCompressor();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le32(LZ4_LEGACY_MAGIC));
        for (int at = 0; at < data.length; at += LZ4_LEGACY_BLOCK) {
            byte[] block = lz4.compress(Arrays.copyOfRange(data, at, Math.min(data.length, at + LZ4_LEGACY_BLOCK)));
            out.writeBytes(le32(block.length));
            out.writeBytes(block);
        }
        return out.toByteArray();
    }

    /** xz --check=crc32, with the x86 BCJ filter or not. */
    public static byte[] xz(byte[] data, boolean x86) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FilterOptions[] filters = x86
            ? new FilterOptions[] {new X86Options(), new LZMA2Options()}
            : new FilterOptions[] {new LZMA2Options()};
        try (XZOutputStream xz = new XZOutputStream(out, filters, XZ.CHECK_CRC32)) {
            xz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** scripts/Makefile.lib size_append: the uncompressed size as a LE u32 after the compressed data. */
    public static byte[] sizeAppended(byte[] compressed, int uncompressedSize) {
        byte[] out = Arrays.copyOf(compressed, compressed.length + 4);
        System.arraycopy(le32(uncompressedSize), 0, out, compressed.length, 4);
        return out;
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static int alignUp(int v, int a) {
        return (v + a - 1) & -a;
    }
}
