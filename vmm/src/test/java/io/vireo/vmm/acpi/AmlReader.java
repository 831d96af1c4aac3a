package io.vireo.vmm.acpi;

import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of an AML decoder for tests: finds {@code Name(path, Package() {...})} in a byte stream and
 * decodes the package's integer elements, following the grammar independently of {@link Aml}.
 */
final class AmlReader {
    private AmlReader() {
    }

    static int indexOf(byte[] hay, byte[] needle) {
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
    static int[] pkgLength(byte[] b, int at) {
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
    static List<Long> namedPackage(byte[] aml, int from, String rootedName) {
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
}
