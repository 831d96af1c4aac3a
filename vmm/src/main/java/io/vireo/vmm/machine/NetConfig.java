package io.vireo.vmm.machine;

import java.util.HexFormat;

/**
 * One virtio-net device as the machine builds it: typed, already checked (the CLI's {@code --net} grammar is parsed
 * into this by {@code cli.NetSpec}; an embedder builds it directly).
 *
 * @param backend what carries the frames
 * @param tap     the tap's name (backend TAP), else null
 * @param mac     the device's MAC address (six bytes, unicast), or null for {@code 52:54:00:12:34:(56 + index)}
 * @param pairs   queue pairs (a multi-queue tap for more than one), 1 to {@link #MAX_PAIRS}
 * @param mtu     the MTU to offer and set on the tap, or 0 for the tap's own (loopback: 1500)
 * @param pollNs  how long a queue agent keeps polling after the last frame (0 = sleep after each batch)
 */
public record NetConfig(Backend backend, String tap, byte[] mac, int pairs, int mtu, long pollNs) {
    public static final int MAX_PAIRS = 16;
    public static final long DEFAULT_POLL_NS = 32_000;

    /** The back end of a network device. */
    public enum Backend {
        /** A tap interface on the host ({@code /dev/net/tun}). */
        TAP,
        /** Every frame comes back with the MACs swapped (measures the data plane alone). */
        LOOPBACK
    }

    public NetConfig {
        if ((backend == Backend.TAP) != (tap != null)) {
            throw new IllegalArgumentException("a tap name goes with backend TAP only");
        }
        if (mac != null && (mac.length != 6 || (mac[0] & 1) != 0)) {
            throw new IllegalArgumentException("a MAC address is six bytes and unicast");
        }
        if (pairs < 1 || pairs > MAX_PAIRS) {
            throw new IllegalArgumentException("queue pairs must be between 1 and " + MAX_PAIRS + ": " + pairs);
        }
        mac = mac == null ? null : mac.clone();
    }

    /** The MAC of the {@code index}-th device when none was given: QEMU's default, counted up. */
    public byte[] macOrDefault(int index) {
        return mac != null ? mac.clone() : new byte[] {0x52, 0x54, 0x00, 0x12, 0x34, (byte) (0x56 + index)};
    }

    /** {@code tap=NAME} or {@code loopback}, for messages. */
    public String name() {
        return backend == Backend.TAP ? "tap=" + tap : "loopback";
    }

    /** {@code 52:54:00:12:34:56}. */
    public static String format(byte[] mac) {
        return HexFormat.ofDelimiter(":").formatHex(mac);
    }
}
