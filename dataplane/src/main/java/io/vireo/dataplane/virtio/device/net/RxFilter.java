package io.vireo.dataplane.virtio.device.net;

import java.util.Arrays;

/**
 * The receive filter the driver set through the control queue (virtio 1.2 §5.1.6.5.1, §5.1.6.5.2): promiscuous and
 * all-multicast modes and the unicast and multicast MAC tables. Immutable: a command builds a new one and the device
 * publishes it through a volatile field, so queue pairs on other agents read it with no lock. MACs are kept as the
 * 48-bit big-endian number of their six bytes.
 */
public record RxFilter(boolean promiscuous, boolean allMulticast, long[] unicast, long[] multicast) {
    /** Entries each table keeps; a longer table turns into "accept all of that kind" (as QEMU's overflow). */
    public static final int TABLE_MAX = 64;
    /** After reset, promiscuous: a driver that never sets a filter (no CTRL_RX) gets every frame. */
    public static final RxFilter ACCEPT_ALL = new RxFilter(true, false, new long[0], new long[0]);
    private static final long BROADCAST = 0xffff_ffff_ffffL;

    public RxFilter {
        unicast = unicast.clone();
        multicast = multicast.clone();
    }

    /** Whether a frame to {@code dst} reaches a driver whose own address is {@code mac}. */
    public boolean accepts(long dst, long mac) {
        if (promiscuous || dst == mac || dst == BROADCAST) {
            return true;
        }
        if ((dst & (1L << 40)) != 0) {
            // The I/G bit (bit 0 of the first byte): group address.
            return allMulticast || contains(multicast, dst);
        }
        return contains(unicast, dst);
    }

    private static boolean contains(long[] table, long dst) {
        for (long m : table) {
            if (m == dst) {
                return true;
            }
        }
        return false;
    }

    public RxFilter withPromiscuous(boolean on) {
        return new RxFilter(on, allMulticast, unicast, multicast);
    }

    public RxFilter withAllMulticast(boolean on) {
        return new RxFilter(promiscuous, on, unicast, multicast);
    }

    public RxFilter withTables(long[] uni, long[] multi) {
        return new RxFilter(promiscuous, allMulticast, uni, multi);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RxFilter f && f.promiscuous == promiscuous && f.allMulticast == allMulticast
            && Arrays.equals(f.unicast, unicast) && Arrays.equals(f.multicast, multicast);
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(promiscuous) * 31 + Boolean.hashCode(allMulticast) * 17 + Arrays.hashCode(unicast)
            + Arrays.hashCode(multicast);
    }

    @Override
    public String toString() {
        return "RxFilter[promiscuous=" + promiscuous + ", allMulticast=" + allMulticast + ", unicast="
            + unicast.length + ", multicast=" + multicast.length + "]";
    }
}
