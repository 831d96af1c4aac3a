package io.vireo.vmm.acpi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds one ACPI system description table: the standard header, then a little-endian body appended
 * field by field; {@link #toBytes()} fills in the length and the checksum.
 *
 * <pre>
 * System Description Table Header (ACPI 6.5, 5.2.6), 36 bytes
 * +----+------------------+      +----+--------------------+
 * |  0 | Signature    [4] |      | 16 | OEM Table ID   [8] |
 * |  4 | Length       u32 |      | 24 | OEM Revision   u32 |
 * |  8 | Revision      u8 |      | 28 | Creator ID     [4] |
 * |  9 | Checksum      u8 |      | 32 | Creator Rev.   u32 |
 * | 10 | OEMID        [6] |      +----+--------------------+
 * +----+------------------+
 * </pre>
 */
public final class AcpiTable {
    public static final int SIGNATURE_OFFSET = 0;
    public static final int LENGTH_OFFSET = 4;
    public static final int REVISION_OFFSET = 8;
    public static final int CHECKSUM_OFFSET = 9;
    public static final int OEM_ID_OFFSET = 10;
    public static final int OEM_TABLE_ID_OFFSET = 16;
    public static final int OEM_REVISION_OFFSET = 24;
    public static final int CREATOR_ID_OFFSET = 28;
    public static final int CREATOR_REVISION_OFFSET = 32;
    public static final int HEADER_SIZE = 36;

    public static final String OEM_ID = "VIREO ";
    public static final String OEM_TABLE_ID = "VIREOVM ";
    public static final int OEM_REVISION = 1;
    public static final String CREATOR_ID = "VIRO";
    public static final int CREATOR_REVISION = 1;

    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    public AcpiTable(String signature, int revision) {
        ascii(signature, 4);
        u32(0);
        u8(revision);
        u8(0);
        ascii(OEM_ID, 6);
        ascii(OEM_TABLE_ID, 8);
        u32(OEM_REVISION);
        ascii(CREATOR_ID, 4);
        u32(CREATOR_REVISION);
    }

    /** Current length, i.e. the offset the next field lands at. */
    public int size() {
        return body.size();
    }

    public AcpiTable u8(int v) {
        body.write(v);
        return this;
    }

    public AcpiTable u16(int v) {
        body.write(v);
        body.write(v >>> 8);
        return this;
    }

    public AcpiTable u32(int v) {
        u16(v);
        u16(v >>> 16);
        return this;
    }

    public AcpiTable u64(long v) {
        u32((int) v);
        u32((int) (v >>> 32));
        return this;
    }

    public AcpiTable bytes(byte[] b) {
        body.writeBytes(b);
        return this;
    }

    public AcpiTable zeros(int n) {
        body.writeBytes(new byte[n]);
        return this;
    }

    /** Exactly {@code width} ASCII characters; a shorter string is an error, not silently padded. */
    public AcpiTable ascii(String s, int width) {
        if (s.length() != width) {
            throw new IllegalArgumentException("ACPI field needs " + width + " characters: \"" + s + "\"");
        }
        body.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    /** The finished table: Length set, and Checksum set so that all bytes sum to zero mod 256 (5.2.6). */
    public byte[] toBytes() {
        byte[] t = body.toByteArray();
        putU32(t, LENGTH_OFFSET, t.length);
        t[CHECKSUM_OFFSET] = 0;
        t[CHECKSUM_OFFSET] = checksum(t, 0, t.length);
        return t;
    }

    /** The byte that makes {@code b[off..off+len)} sum to zero mod 256 when added to it. */
    public static byte checksum(byte[] b, int off, int len) {
        return (byte) -sum(b, off, len);
    }

    /** Sum of the bytes mod 256; a valid table sums to 0. */
    public static int sum(byte[] b, int off, int len) {
        int s = 0;
        for (int i = off; i < off + len; i++) {
            s += b[i];
        }
        return s & 0xff;
    }

    static void putU32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
