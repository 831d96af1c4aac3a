package io.vireo.vmm.acpi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A tiny encoder for ACPI Machine Language (ACPI 6.5, 20.2 "AML Grammar Definition"): each method returns
 * the bytes of one term, and terms nest by passing those bytes to the enclosing term. Enough for
 * {@code Name}, {@code Package}, {@code Buffer}, integers, strings, {@code Scope} and {@code Device}; add opcodes
 * here. Resource descriptors for {@code _CRS} buffers are in {@link AmlResource}.
 */
public final class Aml {
    static final int ZERO_OP = 0x00;
    static final int ONE_OP = 0x01;
    static final int ONES_OP = 0xff;
    static final int NAME_OP = 0x08;
    static final int BYTE_PREFIX = 0x0a;
    static final int WORD_PREFIX = 0x0b;
    static final int DWORD_PREFIX = 0x0c;
    static final int STRING_PREFIX = 0x0d;
    static final int QWORD_PREFIX = 0x0e;
    static final int SCOPE_OP = 0x10;
    static final int BUFFER_OP = 0x11;
    static final int PACKAGE_OP = 0x12;
    static final int DUAL_NAME_PREFIX = 0x2e;
    static final int MULTI_NAME_PREFIX = 0x2f;
    static final int EXT_OP_PREFIX = 0x5b;
    static final int DEVICE_OP = 0x82;
    static final int METHOD_OP = 0x14;
    static final int LOCAL0_OP = 0x60;
    static final int ARG0_OP = 0x68;
    static final int STORE_OP = 0x70;
    static final int SHIFT_LEFT_OP = 0x79;
    static final int AND_OP = 0x7b;
    static final int NOTIFY_OP = 0x86;
    static final int IF_OP = 0xa0;
    static final int RETURN_OP = 0xa4;
    static final int MUTEX_OP = 0x01;
    static final int ACQUIRE_OP = 0x23;
    static final int RELEASE_OP = 0x27;
    static final int OP_REGION_OP = 0x80;
    static final int FIELD_OP = 0x81;
    /** OperationRegion space: SystemIO (ACPI 6.5, 19.6.100). */
    public static final int REGION_SYSTEM_IO = 0x01;
    /** Field flags: DWordAcc (bits 3:0 = 3), NoLock, WriteAsZeros (bits 6:5 = 1). */
    public static final int FIELD_DWORD_ACC_WRITE_ZEROS = 0x03 | 0x40;
    static final int ROOT_CHAR = '\\';
    static final int PARENT_PREFIX_CHAR = '^';
    /** PkgLength holds at most 28 bits (20.2.4). */
    static final int MAX_PKG_LENGTH = (1 << 28) - 1;

    private Aml() {
    }

    /** {@code Name(path, object)}. */
    public static byte[] name(String path, byte[] object) {
        return concat(new byte[] {NAME_OP}, namePath(path), object);
    }

    /** {@code Package() {elements}}: PackageOp PkgLength NumElements PackageElementList. */
    public static byte[] pkg(byte[]... elements) {
        if (elements.length > 255) {
            throw new IllegalArgumentException("Package has " + elements.length + " elements; NumElements is a byte");
        }
        byte[] body = concat(new byte[] {(byte) elements.length}, concat(elements));
        return concat(new byte[] {PACKAGE_OP}, pkgLength(body.length), body);
    }

    /** {@code Buffer() {bytes}}: BufferOp PkgLength BufferSize ByteList (20.2.5.4). */
    public static byte[] buffer(byte[] bytes) {
        byte[] body = concat(integer(bytes.length), bytes);
        return concat(new byte[] {BUFFER_OP}, pkgLength(body.length), body);
    }

    /** The shortest integer encoding: ZeroOp, OneOp, OnesOp or a Byte/Word/DWord/QWord constant. */
    public static byte[] integer(long v) {
        if (v == 0) {
            return new byte[] {ZERO_OP};
        }
        if (v == 1) {
            return new byte[] {ONE_OP};
        }
        if (v == -1) {
            return new byte[] {(byte) ONES_OP};
        }
        if ((v & ~0xffL) == 0) {
            return new byte[] {BYTE_PREFIX, (byte) v};
        }
        if ((v & ~0xffffL) == 0) {
            return new byte[] {WORD_PREFIX, (byte) v, (byte) (v >>> 8)};
        }
        if ((v & ~0xffff_ffffL) == 0) {
            return new byte[] {DWORD_PREFIX, (byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
        }
        byte[] q = new byte[9];
        q[0] = QWORD_PREFIX;
        for (int i = 0; i < 8; i++) {
            q[1 + i] = (byte) (v >>> (8 * i));
        }
        return q;
    }

    /** {@code "text"}: StringPrefix, ASCII characters 0x01-0x7f, NUL. */
    public static byte[] string(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == 0 || s.charAt(i) > 0x7f) {
                throw new IllegalArgumentException("AML strings are ASCII without NUL: \"" + s + "\"");
            }
        }
        return concat(new byte[] {STRING_PREFIX}, s.getBytes(StandardCharsets.US_ASCII), new byte[] {0});
    }

    /** {@code EISAID("PNP0A08")}: the compressed 32-bit EISA id as a DWord constant. */
    public static byte[] eisaId(String id) {
        if (!isEisaId(id)) {
            throw new IllegalArgumentException("EISA id must be 3 letters and 4 hex digits: \"" + id + "\"");
        }
        int vendor = (id.charAt(0) - 0x40) << 10 | (id.charAt(1) - 0x40) << 5 | (id.charAt(2) - 0x40);
        int value = vendor << 16 | Integer.parseInt(id.substring(3), 16);
        return integer(Integer.toUnsignedLong(Integer.reverseBytes(value)));
    }

    /** {@code Scope(path) {terms}}. */
    public static byte[] scope(String path, byte[]... terms) {
        byte[] body = concat(namePath(path), concat(terms));
        return concat(new byte[] {SCOPE_OP}, pkgLength(body.length), body);
    }

    /** {@code Device(name) {terms}}. */
    public static byte[] device(String path, byte[]... terms) {
        byte[] body = concat(namePath(path), concat(terms));
        return concat(new byte[] {EXT_OP_PREFIX, (byte) DEVICE_OP}, pkgLength(body.length), body);
    }

    /** {@code Method(name, argCount, NotSerialized) {terms}} (20.2.5.2: MethodFlags bits 2:0 = ArgCount). */
    public static byte[] method(String name, int argCount, byte[]... terms) {
        if (argCount < 0 || argCount > 7) {
            throw new IllegalArgumentException("a method takes 0-7 arguments, not " + argCount);
        }
        byte[] body = concat(namePath(name), new byte[] {(byte) argCount}, concat(terms));
        return concat(new byte[] {METHOD_OP}, pkgLength(body.length), body);
    }

    /** A method invocation: the method's name then its arguments (the callee's argument count must match). */
    public static byte[] call(String path, byte[]... args) {
        return concat(namePath(path), concat(args));
    }

    /** {@code LocalN}, N 0-7. */
    public static byte[] local(int n) {
        return new byte[] {(byte) (LOCAL0_OP + checkIndex(n, 7))};
    }

    /** {@code ArgN}, N 0-6. */
    public static byte[] arg(int n) {
        return new byte[] {(byte) (ARG0_OP + checkIndex(n, 6))};
    }

    private static int checkIndex(int n, int max) {
        if (n < 0 || n > max) {
            throw new IllegalArgumentException(n + " outside 0-" + max);
        }
        return n;
    }

    /** {@code Store(value, target)}. */
    public static byte[] store(byte[] value, byte[] target) {
        return concat(new byte[] {STORE_OP}, value, target);
    }

    /** {@code And(a, b)} with no target (the result is the term's value). */
    public static byte[] and(byte[] a, byte[] b) {
        return concat(new byte[] {AND_OP}, a, b, new byte[] {0});
    }

    /** {@code ShiftLeft(value, count)} with no target. */
    public static byte[] shiftLeft(byte[] value, byte[] count) {
        return concat(new byte[] {SHIFT_LEFT_OP}, value, count, new byte[] {0});
    }

    /** {@code If (predicate) {terms}}. */
    public static byte[] ifThen(byte[] predicate, byte[]... terms) {
        byte[] body = concat(predicate, concat(terms));
        return concat(new byte[] {(byte) IF_OP}, pkgLength(body.length), body);
    }

    /** {@code Notify(object, value)}. */
    public static byte[] notify(String object, long value) {
        return concat(new byte[] {(byte) NOTIFY_OP}, namePath(object), integer(value));
    }

    /** {@code Return(value)}. */
    public static byte[] ret(byte[] value) {
        return concat(new byte[] {(byte) RETURN_OP}, value);
    }

    /** {@code Mutex(name, 0)}. */
    public static byte[] mutex(String name) {
        return concat(new byte[] {EXT_OP_PREFIX, MUTEX_OP}, namePath(name), new byte[] {0});
    }

    /** {@code Acquire(mutex, 0xFFFF)}: wait forever. */
    public static byte[] acquire(String mutex) {
        return concat(new byte[] {EXT_OP_PREFIX, ACQUIRE_OP}, namePath(mutex), new byte[] {(byte) 0xff, (byte) 0xff});
    }

    /** {@code Release(mutex)}. */
    public static byte[] release(String mutex) {
        return concat(new byte[] {EXT_OP_PREFIX, RELEASE_OP}, namePath(mutex));
    }

    /** {@code OperationRegion(name, space, offset, length)}. */
    public static byte[] operationRegion(String name, int space, long offset, long length) {
        return concat(new byte[] {EXT_OP_PREFIX, (byte) OP_REGION_OP}, namePath(name), new byte[] {(byte) space},
            integer(offset), integer(length));
    }

    /**
     * {@code Field(region, flags) {name, bits, ...}}: consecutive named fields, each {@code bits} wide (a NamedField's
     * width is encoded like a PkgLength, but counts bits, not itself: 20.2.5.2).
     */
    public static byte[] field(String region, int flags, String[] names, int[] bits) {
        if (names.length != bits.length) {
            throw new IllegalArgumentException("one width per field name");
        }
        java.io.ByteArrayOutputStream list = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < names.length; i++) {
            list.writeBytes(nameSeg(names[i]));
            list.writeBytes(fieldWidth(bits[i]));
        }
        byte[] body = concat(namePath(region), new byte[] {(byte) flags}, list.toByteArray());
        return concat(new byte[] {EXT_OP_PREFIX, (byte) FIELD_OP}, pkgLength(body.length), body);
    }

    private static byte[] fieldWidth(int bits) {
        if (bits < 1 || bits > 0xfff) {
            throw new IllegalArgumentException("field width " + bits + " outside 1-4095 bits");
        }
        if (bits <= 0x3f) {
            return new byte[] {(byte) bits};
        }
        return new byte[] {(byte) (1 << 6 | (bits & 0x0f)), (byte) (bits >>> 4)};
    }

    /**
     * PkgLength for a body of {@code bodyLength} bytes; the encoded value counts its own bytes too (20.2.4).
     * One byte holds up to 63; otherwise the lead byte's bits 7-6 give the number of following bytes and
     * its bits 3-0 the low nibble.
     */
    public static byte[] pkgLength(int bodyLength) {
        if (bodyLength + 1 <= 0x3f) {
            return new byte[] {(byte) (bodyLength + 1)};
        }
        for (int extra = 1; extra <= 3; extra++) {
            int total = bodyLength + 1 + extra;
            if (total < 1 << (4 + 8 * extra)) {
                byte[] b = new byte[1 + extra];
                b[0] = (byte) (extra << 6 | (total & 0x0f));
                for (int i = 1; i <= extra; i++) {
                    b[i] = (byte) (total >>> (4 + 8 * (i - 1)));
                }
                return b;
            }
        }
        throw new IllegalArgumentException("AML object of " + bodyLength + " bytes exceeds PkgLength's "
            + MAX_PKG_LENGTH);
    }

    /**
     * A NameString: optional root {@code \} or parent {@code ^} prefixes, then dot-separated segments
     * of 1-4 characters, each padded with {@code _} to a 4-byte NameSeg (20.2.2).
     */
    public static byte[] namePath(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        if (path.startsWith("\\")) {
            out.write(ROOT_CHAR);
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == PARENT_PREFIX_CHAR) {
                out.write(PARENT_PREFIX_CHAR);
                i++;
            }
        }
        String rest = path.substring(i);
        String[] segs = rest.isEmpty() ? new String[0] : rest.split("\\.", -1);
        if (segs.length == 2) {
            out.write(DUAL_NAME_PREFIX);
        } else if (segs.length > 2) {
            if (segs.length > 255) {
                throw new IllegalArgumentException("AML name has too many segments: " + path);
            }
            out.write(MULTI_NAME_PREFIX);
            out.write(segs.length);
        } else if (segs.length == 0) {
            out.write(0); // NullName: the root itself (\) or a parent (^)
        }
        for (String seg : segs) {
            out.writeBytes(nameSeg(seg));
        }
        return out.toByteArray();
    }

    /** One NameSeg: a lead character A-Z or _, then A-Z, 0-9 or _, padded to four with _. */
    public static byte[] nameSeg(String seg) {
        if (!isNameSeg(seg)) {
            throw new IllegalArgumentException("bad AML NameSeg \"" + seg + "\" (1-4 of A-Z, 0-9, _; no lead digit)");
        }
        String padded = (seg + "___").substring(0, 4);
        return padded.getBytes(StandardCharsets.US_ASCII);
    }

    // The two checks below are loops rather than String.matches: a DSDT with hot-plug slots has hundreds of names,
    // and matches() compiles its pattern on every call, which in a VM's first milliseconds (interpreted) cost most of
    // the ACPI tables' ~25 ms on the way to the guest's first instruction.

    /** [A-Z_][A-Z0-9_]{0,3} */
    static boolean isNameSeg(String seg) {
        if (seg.isEmpty() || seg.length() > 4) {
            return false;
        }
        for (int i = 0; i < seg.length(); i++) {
            char c = seg.charAt(i);
            boolean ok = c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** [A-Z]{3}[0-9A-F]{4} */
    static boolean isEisaId(String id) {
        if (id.length() != 7) {
            return false;
        }
        for (int i = 0; i < 7; i++) {
            char c = id.charAt(i);
            boolean ok = c >= 'A' && c <= 'Z' && (i < 3 || c <= 'F') || i >= 3 && c >= '0' && c <= '9';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Two upper-case hex digits of {@code v} (0-255), as in names like S1F or _E02; no Formatter on the boot path. */
    public static String hex2(int v) {
        if (v < 0 || v > 0xff) {
            throw new IllegalArgumentException("not a byte: " + v);
        }
        String digits = "0123456789ABCDEF";
        return new String(new char[] {digits.charAt(v >> 4), digits.charAt(v & 0xf)});
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
