package io.vireo.vmm.boot;

import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.tukaani.xz.XZInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.GZIPInputStream;

/**
 * The compressed vmlinux inside a bzImage (boot.rst: payload_offset/payload_length, protocol 2.08+),
 * decompressed on the host. The kernel's build appends the uncompressed size as a little-endian u32
 * to every payload (arch/x86/boot/compressed/Makefile, "size_append"), which bounds the output.
 */
public final class KernelPayload {
    public static final int PAYLOAD_OFFSET_OFFSET = 0x248;
    public static final int PAYLOAD_LENGTH_OFFSET = 0x24c;
    /** No x86-64 kernel decompresses to more than this; a larger size field is a corrupt image. */
    static final int MAX_VMLINUX_BYTES = 512 << 20;
    private static final int LZ4_LEGACY_MAGIC = 0x184c2102;
    /** The LZ4 legacy format's fixed uncompressed block size (lz4 "-l"). */
    private static final int LZ4_LEGACY_BLOCK = 8 << 20;

    private KernelPayload() {
    }

    /** Returns the vmlinux ELF; one {@link BootException} line on any problem. */
    public static byte[] unpack(String name, byte[] image, SetupHeader h) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        long off = h.kernelOffset() + Integer.toUnsignedLong(b.getInt(PAYLOAD_OFFSET_OFFSET));
        long len = Integer.toUnsignedLong(b.getInt(PAYLOAD_LENGTH_OFFSET));
        if (h.version() < 0x0208 || len < 8 || off + len > image.length) {
            throw new BootException("kernel " + name + ": no usable payload (payload_offset/payload_length)");
        }
        int start = (int) off;
        int end = (int) (off + len);
        int size = b.getInt(end - 4);
        if (size <= 0 || size > MAX_VMLINUX_BYTES) {
            throw new BootException("kernel " + name + ": payload claims " + Integer.toUnsignedString(size)
                + " bytes uncompressed");
        }
        byte[] out;
        try {
            out = switch (format(image, start)) {
                case "gzip" -> stream(new GZIPInputStream(new ByteArrayInputStream(image, start, end - start)), size);
                // xz and lz4 payloads carry the kernel's appended size word after the stream; gzip's own
                // trailer is that word (ISIZE), so gzip gets the whole payload.
                case "xz" -> stream(new XZInputStream(new ByteArrayInputStream(image, start, end - 4 - start)), size);
                case "lz4" -> lz4Legacy(image, start, end - 4, size);
                default -> throw new BootException("kernel " + name + ": the payload is " + format(image, start)
                    + "-compressed; --unpack handles gzip, lz4 and xz");
            };
        } catch (IOException | LZ4Exception e) {
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new BootException("kernel " + name + ": corrupt payload (" + why + ")", e);
        }
        if (!ElfFile.hasMagic(out)) {
            throw new BootException("kernel " + name + ": the payload is not an ELF vmlinux");
        }
        return out;
    }

    static String format(byte[] p, int at) {
        int b0 = p[at] & 0xff;
        int b1 = p[at + 1] & 0xff;
        if (b0 == 0x1f && (b1 == 0x8b || b1 == 0x9e)) {
            return "gzip";
        }
        if (b0 == 0xfd && b1 == '7' && p[at + 2] == 'z' && p[at + 3] == 'X' && p[at + 4] == 'Z') {
            return "xz";
        }
        int magic = ByteBuffer.wrap(p, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (magic == LZ4_LEGACY_MAGIC) {
            return "lz4";
        }
        if (magic == 0xfd2fb528) {
            return "zstd";
        }
        if (b0 == 'B' && b1 == 'Z' && p[at + 2] == 'h') {
            return "bzip2";
        }
        if (b0 == 0x89 && b1 == 'L') {
            return "lzo";
        }
        return b0 == 0x5d && b1 == 0 ? "lzma" : "unknown";
    }

    private static byte[] stream(InputStream in, int size) throws IOException {
        try (in) {
            byte[] out = in.readNBytes(size);
            if (out.length != size) {
                throw new IOException("decompressed to " + out.length + " bytes, expected " + size);
            }
            // Reading on to the end makes the stream check its trailer (gzip CRC32 and ISIZE, xz check):
            // a corrupt payload must not boot a different kernel.
            if (in.read() != -1) {
                throw new IOException("decompresses to more than the " + size + " bytes its size word says");
            }
            return out;
        }
    }

    /** The legacy LZ4 frame (what the kernel's lz4 -l writes): magic, then {u32 size, block} until the end. */
    private static byte[] lz4Legacy(byte[] p, int at, int end, int size) throws IOException {
        LZ4SafeDecompressor lz4 = LZ4Factory.safeInstance().safeDecompressor();
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        byte[] out = new byte[size];
        int done = 0;
        while (at + 4 <= end) {
            int n = b.getInt(at);
            at += 4;
            if (n == LZ4_LEGACY_MAGIC) {
                continue; // concatenated frames
            }
            if (n <= 0 || n > end - at) {
                throw new IOException("LZ4 block of " + n + " bytes at " + (at - 4) + " runs past the payload");
            }
            done += lz4.decompress(p, at, n, out, done, Math.min(LZ4_LEGACY_BLOCK, size - done));
            at += n;
        }
        if (done != size) {
            throw new IOException("decompressed to " + done + " bytes, expected " + size);
        }
        return out;
    }
}
