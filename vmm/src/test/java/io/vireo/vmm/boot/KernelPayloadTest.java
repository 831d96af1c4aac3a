package io.vireo.vmm.boot;

import io.vireo.vmm.boot.BzImageBuilder.Compression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelPayloadTest {
    private static final String NAME = "/boot/bzImage";

    private static byte[] unpack(byte[] image) {
        return KernelPayload.unpack(NAME, image, SetupHeader.parse(NAME, image));
    }

    private static String refused(byte[] image) {
        BootException e = assertThrows(BootException.class, () -> unpack(image));
        assertTrue(e.getMessage().startsWith("kernel " + NAME + ": "), e.getMessage());
        return e.getMessage();
    }

    private static byte[] withPayload(byte[] payload) {
        return new BzImageBuilder().rawPayload(payload).build();
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "LZ4", "XZ", "XZ_X86"})
    void shouldReturnVmlinuxWhenPayloadIsWellFormed(Compression c) {
        assertArrayEquals(BzImageBuilder.defaultVmlinux(), unpack(new BzImageBuilder().compression(c).build()));
    }

    @Test
    void shouldJoinBlocksWhenLz4LegacyFrameHasMoreThanOneBlock() {
        // Over 8 MiB: lz4 -l cuts the input into 8 MiB blocks, each with its own size word.
        byte[] text = BzImageBuilder.text(9 << 20, 11);
        byte[] vmlinux = BzImageBuilder.vmlinux(BzImageBuilder.VMLINUX_PADDR, text, text.length,
            BzImageBuilder.VMLINUX_PADDR);
        byte[] frame = BzImageBuilder.lz4Legacy(vmlinux);
        int firstBlock = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        assertTrue(8 + firstBlock < frame.length, "the frame has a second block");

        byte[] out = unpack(new BzImageBuilder().lz4().vmlinux(vmlinux).build());

        assertArrayEquals(vmlinux, out);
    }

    @Test
    void shouldJoinFramesWhenLz4LegacyFramesAreConcatenated() {
        byte[] vmlinux = BzImageBuilder.defaultVmlinux();
        int half = vmlinux.length / 2;
        byte[] a = BzImageBuilder.lz4Legacy(Arrays.copyOf(vmlinux, half));
        byte[] b = BzImageBuilder.lz4Legacy(Arrays.copyOfRange(vmlinux, half, vmlinux.length));
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);

        assertArrayEquals(vmlinux, unpack(withPayload(BzImageBuilder.sizeAppended(both, vmlinux.length))));
    }

    @ParameterizedTest
    @CsvSource({
        "28b52ffd, zstd",
        "425a6839, bzip2",
        "894c5a4f, lzo",
        "5d000080, lzma",
        "00000000, unknown",
    })
    void shouldNameFormatWhenPayloadIsNotGzipLz4OrXz(String magic, String format) {
        byte[] payload = BzImageBuilder.text(64, 1);
        System.arraycopy(HexFormat.of().parseHex(magic), 0, payload, 0, 4);

        String m = refused(withPayload(BzImageBuilder.sizeAppended(payload, 4096)));

        assertTrue(m.contains("the payload is " + format + "-compressed"), m);
        assertTrue(m.contains("gzip, lz4 and xz"), m);
    }

    @Test
    void shouldRefuseWhenPayloadLengthIsBelowEightBytes() {
        String m = refused(withPayload(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0}));

        assertTrue(m.contains("no usable payload"), m);
    }

    @Test
    void shouldRefuseWhenPayloadRunsPastEndOfFile() {
        byte[] image = new BzImageBuilder().build();
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(KernelPayload.PAYLOAD_OFFSET_OFFSET, 0xffff_fff0);

        assertTrue(refused(image).contains("no usable payload"));
    }

    @Test
    void shouldRefuseWhenSizeTrailerIsZero() {
        byte[] lz4 = BzImageBuilder.lz4Legacy(BzImageBuilder.defaultVmlinux());

        String m = refused(withPayload(BzImageBuilder.sizeAppended(lz4, 0)));

        assertTrue(m.contains("payload claims 0 bytes uncompressed"), m);
    }

    @Test
    void shouldRefuseWhenSizeTrailerIsImplausiblyLarge() {
        byte[] lz4 = BzImageBuilder.lz4Legacy(BzImageBuilder.defaultVmlinux());

        String m = refused(withPayload(BzImageBuilder.sizeAppended(lz4, 0xffff_fff0)));

        assertTrue(m.contains("payload claims 4294967280 bytes uncompressed"), m);
    }

    private static byte[] payloadWithTrailer(Compression c, int size) {
        BzImageBuilder b = new BzImageBuilder().compression(c);
        byte[] good = b.build();
        byte[] payload = Arrays.copyOfRange(good, b.payloadFileOffset(), b.payloadFileOffset() + b.payloadLength());
        ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).putInt(payload.length - 4, size);
        return payload;
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"LZ4", "XZ", "XZ_X86"})
    void shouldRefuseAsCorruptWhenSizeTrailerIsLargerThanOutput(Compression c) {
        int size = BzImageBuilder.defaultVmlinux().length + 1;

        String m = refused(withPayload(payloadWithTrailer(c, size)));

        assertTrue(m.contains("corrupt payload"), m);
    }

    @Test
    void shouldNameExpectedSizeWhenLz4OutputIsShorterThanTrailer() {
        int size = BzImageBuilder.defaultVmlinux().length + 1;

        String m = refused(withPayload(payloadWithTrailer(Compression.LZ4, size)));

        assertTrue(m.contains("decompressed to " + (size - 1) + " bytes, expected " + size), m);
    }

    @Test
    void shouldSayWhatIsWrongWhenXzOutputIsShorterThanTrailer() {
        int size = BzImageBuilder.defaultVmlinux().length + 1;

        String m = refused(withPayload(payloadWithTrailer(Compression.XZ, size)));

        assertTrue(m.contains("corrupt payload") && !m.contains("null"), m);
    }

    @Test
    void shouldRefuseAsCorruptWhenLz4OutputIsLongerThanTrailer() {
        int size = BzImageBuilder.defaultVmlinux().length - 1;

        String m = refused(withPayload(payloadWithTrailer(Compression.LZ4, size)));

        assertTrue(m.contains("corrupt payload"), m);
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"XZ", "XZ_X86"})
    void shouldRefuseAsCorruptWhenXzOutputIsLongerThanTrailer(Compression c) {
        int size = BzImageBuilder.defaultVmlinux().length - 1;

        String m = refused(withPayload(payloadWithTrailer(c, size)));

        assertTrue(m.contains("corrupt payload"), m);
    }

    @Test
    void shouldRefuseWhenPayloadIsNotElf() {
        String m = refused(new BzImageBuilder().vmlinux(BzImageBuilder.text(4096, 3)).build());

        assertTrue(m.contains("not an ELF vmlinux"), m);
    }

    /**
     * A gzip member ends with CRC32 and ISIZE (RFC 1952, 2.3.1); a byte flipped inside a stored deflate
     * block keeps the length and only the CRC tells. The kernel image must not load silently changed.
     */
    @Test
    void shouldRefuseAsCorruptWhenGzipCrcDoesNotMatch() {
        byte[] vmlinux = BzImageBuilder.defaultVmlinux();
        byte[] gz = storedGzip(vmlinux);
        byte[] text = BzImageBuilder.defaultVmlinuxText();
        int at = indexOf(gz, Arrays.copyOfRange(text, 0x100, 0x140));
        assertTrue(at > 0, "the stored block holds the text verbatim");
        gz[at] ^= 0x10;
        assertThrows(ZipException.class, () -> new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes(),
            "a gzip reader that reaches the trailer sees the CRC mismatch");

        String m = refused(withPayload(gz));

        assertTrue(m.contains("corrupt payload"), m);
    }

    private static byte[] storedGzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new StoredGzipOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** gzip with deflate level 0: stored blocks, the input verbatim after each block header. */
    private static final class StoredGzipOutputStream extends GZIPOutputStream {
        StoredGzipOutputStream(ByteArrayOutputStream out) throws IOException {
            super(out);
            def.setLevel(Deflater.NO_COMPRESSION);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void shouldKeepTrailerEqualToVmlinuxSizeWhenBuilderMakesPayloads() {
        int size = BzImageBuilder.defaultVmlinux().length;
        for (Compression c : Compression.values()) {
            BzImageBuilder b = new BzImageBuilder().compression(c);
            byte[] image = b.build();
            int trailer = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN)
                .getInt(b.payloadFileOffset() + b.payloadLength() - 4);
            assertEquals(size, trailer, c.toString());
        }
    }
}
