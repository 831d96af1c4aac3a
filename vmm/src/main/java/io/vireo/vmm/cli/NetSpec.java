package io.vireo.vmm.cli;

import io.vireo.vmm.machine.NetConfig;

import java.util.HexFormat;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * Parses one {@code --net tap=NAME[,mac=..][,queues=N][,mtu=N][,poll-us=N]} or {@code --net loopback[,...]} into a
 * {@link NetConfig} (a virtio-net PCI function).
 *
 * <ul>
 *   <li>{@code tap=NAME}: the host tap interface, used if it exists, created if not (CAP_NET_ADMIN);</li>
 *   <li>{@code loopback}: every frame the guest sends comes back with the MACs swapped;</li>
 *   <li>{@code mac=52:54:00:12:34:56}: the device's address (unicast), default 52:54:00:12:34:56 counted up;</li>
 *   <li>{@code queues=N}: queue pairs (a multi-queue tap for N > 1), default 1;</li>
 *   <li>{@code mtu=N}: offered to the guest (VIRTIO_NET_F_MTU) and set on the tap, default the tap's;</li>
 *   <li>{@code poll-us=N}: as for {@code --disk}.</li>
 * </ul>
 */
public final class NetSpec {
    private static final String SYNTAX = "--net tap=NAME|loopback[,mac=XX:XX:XX:XX:XX:XX][,queues=N][,mtu=N]"
        + "[,poll-us=N]";
    /** IFNAMSIZ - 1, and no '/', ':' or white space (the kernel's dev_valid_name; ':' would be an alias). */
    private static final String TAP_NAME = "[A-Za-z0-9_.+-]{1,15}";

    private NetSpec() {
    }

    public static NetConfig parse(String text) {
        String[] parts = text.split(",", -1);
        NetConfig.Backend backend;
        String tap = null;
        if (parts[0].equals("loopback")) {
            backend = NetConfig.Backend.LOOPBACK;
        } else if (parts[0].startsWith("tap=")) {
            backend = NetConfig.Backend.TAP;
            tap = parts[0].substring(4);
            if (!tap.matches(TAP_NAME) || tap.equals(".") || tap.equals("..")) {
                throw usage("--net " + parts[0] + ": a tap name is 1 to 15 characters of letters, digits, '_', '.', "
                    + "'+', '-'");
            }
        } else {
            throw usage("--net needs tap=NAME or loopback first: " + SYNTAX + " (got '" + text + "')");
        }
        byte[] mac = null;
        int pairs = 1;
        int mtu = 0;
        long pollNs = NetConfig.DEFAULT_POLL_NS;
        String prefix = "--net " + parts[0] + ": ";
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            switch (key) {
                case "mac" -> mac = parseMac(prefix, value);
                case "queues" -> {
                    pairs = Sizes.parseInt(prefix + "queues", value);
                    if (pairs < 1 || pairs > NetConfig.MAX_PAIRS) {
                        throw usage(prefix + "queues must be between 1 and " + NetConfig.MAX_PAIRS + " (got " + value
                            + ")");
                    }
                }
                case "mtu" -> {
                    mtu = Sizes.parseInt(prefix + "mtu", value);
                    if (mtu < 68 || mtu > 65535) {
                        throw usage(prefix + "mtu must be between 68 and 65535 (got " + value + ")");
                    }
                }
                case "poll-us" -> {
                    int us = Sizes.parseInt(prefix + "poll-us", value);
                    if (us < 0 || us > 10_000_000) {
                        throw usage(prefix + "poll-us must be between 0 and 10000000 (got " + value + ")");
                    }
                    pollNs = us * 1000L;
                }
                default -> throw usage(prefix + "unknown option '" + key + "' (known: mac, queues, mtu, poll-us)");
            }
        }
        return new NetConfig(backend, tap, mac, pairs, mtu, pollNs);
    }

    private static byte[] parseMac(String prefix, String value) {
        if (!value.matches("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")) {
            throw usage(prefix + "mac must be six hex bytes like 52:54:00:12:34:56 (got '" + value + "')");
        }
        byte[] mac = HexFormat.ofDelimiter(":").parseHex(value.toLowerCase(java.util.Locale.ROOT));
        if ((mac[0] & 1) != 0) {
            throw usage(prefix + "mac " + value + " is a multicast address (the first byte must be even)");
        }
        if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
            throw usage(prefix + "mac 00:00:00:00:00:00 is not an address");
        }
        return mac;
    }
}
