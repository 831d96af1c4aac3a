package io.vireo.vmm.acpi;

import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of an AML decoder for tests: finds {@code Name(path, Package() {...})} in a byte stream and
 * decodes the package's integer elements, and finds {@code Name(seg, Buffer() {...})} and decodes the
 * resource descriptors in it (ACPI 6.5, 6.4), following the grammar independently of {@link Aml} and
 * {@link AmlResource}. Public for the tests of packages that put AML in the DSDT (e.g. PCI).
 */
public final class AmlReader {
    private AmlReader() {
    }

    /**
     * One decoded resource descriptor: its tag (small-resource item name with length bits cleared, or the
     * large-resource byte), the address-space resource type (-1 if none), the range, and the flags bytes.
     */
    public record Resource(int tag, int type, long min, long max, long length, int generalFlags, int typeFlags) {
    }

    public static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** PkgLength at {@code at}: {length, bytes used by the encoding}. */
    public static int[] pkgLength(byte[] b, int at) {
        int lead = b[at] & 0xff;
        int follow = lead >>> 6;
        if (follow == 0) {
            return new int[] {lead & 0x3f, 1};
        }
        int len = lead & 0x0f;
        for (int i = 0; i < follow; i++) {
            len |= (b[at + 1 + i] & 0xff) << (4 + 8 * i);
        }
        return new int[] {len, 1 + follow};
    }

    /** The integers of the package named {@code rootedName} (e.g. "\\_S5_") in {@code aml} from {@code from}. */
    public static List<Long> namedPackage(byte[] aml, int from, String rootedName) {
        byte[] name = rootedName.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] pattern = new byte[name.length + 1];
        pattern[0] = 0x08; // NameOp
        System.arraycopy(name, 0, pattern, 1, name.length);
        int at = indexOf(aml, pattern);
        if (at < from) {
            throw new AssertionError("no Name(" + rootedName + ") in the AML");
        }
        int p = at + pattern.length;
        if (aml[p] != 0x12) {
            throw new AssertionError("Name(" + rootedName + ") is not a Package: opcode " + aml[p]);
        }
        int[] pl = pkgLength(aml, p + 1);
        int end = p + 1 + pl[0];
        p += 1 + pl[1];
        int count = aml[p++] & 0xff;
        List<Long> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int op = aml[p++] & 0xff;
            switch (op) {
                case 0x00 -> values.add(0L);
                case 0x01 -> values.add(1L);
                case 0x0a -> values.add((long) (aml[p++] & 0xff));
                case 0x0b -> {
                    values.add((long) ((aml[p] & 0xff) | (aml[p + 1] & 0xff) << 8));
                    p += 2;
                }
                default -> throw new AssertionError("unexpected package element opcode 0x" + Integer.toHexString(op));
            }
        }
        if (p != end) {
            throw new AssertionError("package length says it ends at " + end + ", elements end at " + p);
        }
        return values;
    }

    /**
     * The bytes of the buffer named {@code nameSeg} (4 characters, e.g. "_CRS") in {@code aml}, the first one
     * at or after {@code from}; checks that BufferSize matches the PkgLength.
     */
    public static byte[] namedBuffer(byte[] aml, int from, String nameSeg) {
        byte[] name = nameSeg.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] pattern = new byte[name.length + 2];
        pattern[0] = 0x08; // NameOp
        System.arraycopy(name, 0, pattern, 1, name.length);
        pattern[pattern.length - 1] = 0x11; // BufferOp
        byte[] tail = java.util.Arrays.copyOfRange(aml, from, aml.length);
        int at = indexOf(tail, pattern);
        if (at < 0) {
            throw new AssertionError("no Name(" + nameSeg + ", Buffer) after offset " + from);
        }
        int p = from + at + pattern.length;
        int[] pl = pkgLength(aml, p);
        int end = p + pl[0];
        p += pl[1];
        long size;
        int op = aml[p++] & 0xff;
        switch (op) {
            case 0x0a -> size = aml[p++] & 0xff;
            case 0x0b -> {
                size = (aml[p] & 0xff) | (aml[p + 1] & 0xff) << 8;
                p += 2;
            }
            default -> throw new AssertionError("unexpected BufferSize opcode 0x" + Integer.toHexString(op));
        }
        if (p + size != end) {
            throw new AssertionError("BufferSize " + size + " but the PkgLength leaves " + (end - p) + " bytes");
        }
        return java.util.Arrays.copyOfRange(aml, p, end);
    }

    /** Decodes the descriptors of a resource template up to and including its End Tag (which is not listed). */
    public static List<Resource> resources(byte[] b) {
        List<Resource> list = new ArrayList<>();
        int p = 0;
        while (true) {
            int lead = b[p] & 0xff;
            if ((lead & 0x80) == 0) {
                int tag = lead & 0x78;
                int len = lead & 0x07;
                if (tag == 0x78) {
                    if (len != 1 || p + 2 != b.length) {
                        throw new AssertionError("End Tag at " + p + " is not the last 2 bytes of " + b.length);
                    }
                    return list;
                }
                if (tag != 0x40 || len != 7) {
                    throw new AssertionError("unexpected small resource 0x" + Integer.toHexString(lead));
                }
                long min = u(b, p + 2, 2);
                long max = u(b, p + 4, 2);
                list.add(new Resource(tag, -1, min, max, b[p + 7] & 0xff, b[p + 1] & 0xff, b[p + 6] & 0xff));
                p += 1 + len;
            } else {
                int len = (int) u(b, p + 1, 2);
                int width = switch (lead) {
                    case 0x88 -> 2;
                    case 0x87 -> 4;
                    case 0x8a -> 8;
                    case 0x86 -> 0;
                    default -> throw new AssertionError("unexpected large resource 0x" + Integer.toHexString(lead));
                };
                if (width == 0) {
                    if (len != 9) {
                        throw new AssertionError("Memory32Fixed length " + len);
                    }
                    long base = u(b, p + 4, 4);
                    long size = u(b, p + 8, 4);
                    list.add(new Resource(lead, 0, base, base + size - 1, size, 0, b[p + 3] & 0xff));
                } else {
                    if (len != 3 + 5 * width) {
                        throw new AssertionError("address descriptor 0x" + Integer.toHexString(lead) + " length "
                            + len);
                    }
                    long min = u(b, p + 6 + width, width);
                    long max = u(b, p + 6 + 2 * width, width);
                    long translation = u(b, p + 6 + 3 * width, width);
                    long size = u(b, p + 6 + 4 * width, width);
                    if (translation != 0 || u(b, p + 6, width) != 0) {
                        throw new AssertionError("granularity/translation not 0");
                    }
                    list.add(new Resource(lead, b[p + 3] & 0xff, min, max, size, b[p + 4] & 0xff, b[p + 5] & 0xff));
                }
                p += 3 + len;
            }
        }
    }

    private static long u(byte[] b, int at, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) {
            v |= (long) (b[at + i] & 0xff) << (8 * i);
        }
        return v;
    }
}
