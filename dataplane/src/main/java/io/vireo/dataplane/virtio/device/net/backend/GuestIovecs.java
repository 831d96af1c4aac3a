package io.vireo.dataplane.virtio.device.net.backend;

import io.vireo.sys.IoVecLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Byte access to a frame laid out over an iovec array that points into guest RAM, by offset in the frame: for the
 * few header fields the device reads or writes (num_buffers, the destination MAC) and for the loopback's copies. The
 * addresses come from validated descriptor chains (each buffer inside one guest RAM region), so one segment over the
 * whole address space reaches them without allocating a segment per access.
 */
public final class GuestIovecs {
    // SAFETY: only addresses of validated guest buffers, with their validated lengths, are accessed through it.
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final ValueLayout.OfShort LE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long IOV = IoVecLayout.SIZE;

    private GuestIovecs() {
    }

    /** Byte {@code off} of the frame, or -1 beyond its end. */
    public static int getByte(MemorySegment iov, int count, long off) {
        long skip = off;
        for (int i = 0; i < count; i++) {
            long len = iov.get(ValueLayout.JAVA_LONG, i * IOV + 8);
            if (skip < len) {
                return ALL.get(ValueLayout.JAVA_BYTE, iov.get(ValueLayout.JAVA_LONG, i * IOV) + skip) & 0xff;
            }
            skip -= len;
        }
        return -1;
    }

    /** Sets byte {@code off} of the frame; false beyond its end. */
    public static boolean putByte(MemorySegment iov, int count, long off, int value) {
        long skip = off;
        for (int i = 0; i < count; i++) {
            long len = iov.get(ValueLayout.JAVA_LONG, i * IOV + 8);
            if (skip < len) {
                ALL.set(ValueLayout.JAVA_BYTE, iov.get(ValueLayout.JAVA_LONG, i * IOV) + skip, (byte) value);
                return true;
            }
            skip -= len;
        }
        return false;
    }

    /** Sets the little-endian u16 at {@code off}; the fast path when the first buffer holds it. */
    public static void putShortLE(MemorySegment iov, int count, long off, int value) {
        if (count > 0 && iov.get(ValueLayout.JAVA_LONG, 8) >= off + 2) {
            ALL.set(LE_SHORT, iov.get(ValueLayout.JAVA_LONG, 0) + off, (short) value);
            return;
        }
        putByte(iov, count, off, value);
        putByte(iov, count, off + 1, value >>> 8);
    }

    /** The 48-bit big-endian number of the six bytes at {@code off} (a MAC), or -1 when the frame is shorter. */
    public static long getMac(MemorySegment iov, int count, long off) {
        if (count > 0 && iov.get(ValueLayout.JAVA_LONG, 8) >= off + 6) {
            long a = iov.get(ValueLayout.JAVA_LONG, 0) + off;
            long v = 0;
            for (int k = 0; k < 6; k++) {
                v = (v << 8) | (ALL.get(ValueLayout.JAVA_BYTE, a + k) & 0xff);
            }
            return v;
        }
        long v = 0;
        for (int k = 0; k < 6; k++) {
            int b = getByte(iov, count, off + k);
            if (b < 0) {
                return -1;
            }
            v = (v << 8) | b;
        }
        return v;
    }

    /** Copies the frame's first {@code n} bytes out of the iovecs into {@code dst} at {@code dstOff}. */
    public static void gather(MemorySegment iov, int count, long n, MemorySegment dst, long dstOff) {
        long done = 0;
        for (int i = 0; i < count && done < n; i++) {
            long len = Math.min(iov.get(ValueLayout.JAVA_LONG, i * IOV + 8), n - done);
            MemorySegment.copy(ALL, iov.get(ValueLayout.JAVA_LONG, i * IOV), dst, dstOff + done, len);
            done += len;
        }
    }

    /** Copies {@code n} bytes of {@code src} from {@code srcOff} into the iovecs; returns the bytes that fit. */
    public static long scatter(MemorySegment src, long srcOff, long n, MemorySegment iov, int count) {
        long done = 0;
        for (int i = 0; i < count && done < n; i++) {
            long len = Math.min(iov.get(ValueLayout.JAVA_LONG, i * IOV + 8), n - done);
            MemorySegment.copy(src, srcOff + done, ALL, iov.get(ValueLayout.JAVA_LONG, i * IOV), len);
            done += len;
        }
        return done;
    }

    /** The bytes the iovecs hold in all. */
    public static long capacity(MemorySegment iov, int count) {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += iov.get(ValueLayout.JAVA_LONG, i * IOV + 8);
        }
        return sum;
    }
}
