package io.vireo.vmm.cli;

import io.vireo.dataplane.virtio.device.blk.backend.SectorSet;
import io.vireo.vmm.machine.DiskConfig;
import io.vireo.vmm.machine.VhostUserConfig;

import java.nio.file.Path;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * Parses one {@code --disk PATH|null:SIZE[,option=value]...} into a {@link DiskConfig} (a virtio-blk PCI function).
 *
 * <ul>
 *   <li>{@code readonly=on|off}: offer VIRTIO_BLK_F_RO and open the file read-only;</li>
 *   <li>{@code serial=ID}: what GET_ID returns (at most 20 bytes, virtio 1.2 §5.2.6);</li>
 *   <li>{@code backend=io_uring|sync|null}: asynchronous io_uring (default; falls back to sync where io_uring is
 *       unavailable), positional I/O, or no I/O at all (completes at once: measures the data plane alone);
 *       {@code null:SIZE} as the path is a null disk of that size with no file;</li>
 *   <li>{@code queues=N}: request queues (num_queues), default one per vCPU;</li>
 *   <li>{@code poll-us=N}: the most a queue agent keeps polling after the last request, in µs (default 128;
 *       QEMU's poll-max-ns is 32: {@link io.vireo.vmm.machine.DiskConfig#DEFAULT_POLL_NS} says why); within it the
 *       budget adapts to the gaps between requests (PollBudget); 0 = no polling,
 *       sleep on the guest's kick after each batch;</li>
 *   <li>{@code direct=auto|on|off}: O_DIRECT (auto: try, else buffered, said once);</li>
 *   <li>{@code fixed-buffers=on|off}, {@code sqpoll=on|off}: io_uring settings (default off);</li>
 *   <li>{@code fail=SECTORS}: fault injection, e.g. {@code fail=2048:10000-10007}: requests touching those sectors
 *       complete with VIRTIO_BLK_S_IOERR.</li>
 * </ul>
 */
public final class DiskSpec {
    static final int MAX_SERIAL_BYTES = 20;
    private static final String SYNTAX = "--disk PATH|null:SIZE[,readonly=on][,serial=ID][,backend=io_uring|sync|null]"
        + "[,queues=N][,poll-us=N][,direct=auto|on|off][,fixed-buffers=on][,sqpoll=on][,fail=SECTORS]";

    private DiskSpec() {
    }

    /** One {@code --disk}: served here ({@code disk}) or by another process over vhost-user ({@code vhostUser}). */
    public record Parsed(DiskConfig disk, VhostUserConfig vhostUser) {
    }

    /** {@code vhost-user=SOCKET[,...]} ({@link VhostUserSpec}) or {@code PATH|null:SIZE[,...]}. */
    public static Parsed parseAny(String text) {
        return VhostUserSpec.isDisk(text) ? new Parsed(null, VhostUserSpec.parseDisk(text)) : new Parsed(parse(text),
            null);
    }

    public static DiskConfig parse(String text) {
        String[] parts = text.split(",", -1);
        if (parts[0].isEmpty()) {
            throw usage("--disk needs a path: " + SYNTAX + " (got '" + text + "')");
        }
        String where = parts[0];
        Path path = null;
        long nullBytes = 0;
        DiskConfig.Backend backend = DiskConfig.Backend.IO_URING;
        if (where.startsWith("null:")) {
            nullBytes = Sizes.parseBytes("--disk " + where, where.substring(5));
            if (nullBytes < 512 || (nullBytes & 511) != 0) {
                throw usage("--disk " + where + ": a null disk needs a size that is a positive multiple of 512");
            }
            backend = DiskConfig.Backend.NULL;
        } else {
            path = Path.of(where);
        }
        boolean ro = false;
        String serial = "";
        int queues = 0;
        long pollNs = DiskConfig.DEFAULT_POLL_NS;
        DiskConfig.Direct direct = DiskConfig.Direct.AUTO;
        boolean fixed = false;
        boolean sqpoll = false;
        SectorSet fail = SectorSet.empty();
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            String prefix = "--disk " + where + ": ";
            switch (key) {
                case "readonly", "ro" -> ro = onOff(prefix + "readonly", value);
                case "serial" -> {
                    if (value.length() > MAX_SERIAL_BYTES || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                        throw usage(prefix + "serial must be 1 to 20 printable ASCII characters (got '" + value + "')");
                    }
                    serial = value;
                }
                case "backend" -> {
                    if (!value.equals("io_uring") && !value.equals("sync") && !value.equals("null")) {
                        throw usage(prefix + "backend must be io_uring, sync or null (got '" + value + "')");
                    }
                    if (path == null && !value.equals("null")) {
                        throw usage(prefix + "a null:SIZE disk has no file for backend=" + value);
                    }
                    backend = DiskConfig.Backend.valueOf(value.toUpperCase(java.util.Locale.ROOT));
                }
                case "queues" -> {
                    queues = Sizes.parseInt(prefix + "queues", value);
                    if (queues < 1 || queues > DiskConfig.MAX_QUEUES) {
                        throw usage(prefix + "queues must be between 1 and " + DiskConfig.MAX_QUEUES + " (got " + value
                            + ")");
                    }
                }
                case "poll-us" -> {
                    int us = Sizes.parseInt(prefix + "poll-us", value);
                    if (us < 0 || us > 10_000_000) {
                        throw usage(prefix + "poll-us must be between 0 and 10000000 (got " + value + ")");
                    }
                    pollNs = us * 1000L;
                }
                case "direct" -> {
                    if (!value.equals("auto") && !value.equals("on") && !value.equals("off")) {
                        throw usage(prefix + "direct must be auto, on or off (got '" + value + "')");
                    }
                    direct = DiskConfig.Direct.valueOf(value.toUpperCase(java.util.Locale.ROOT));
                }
                case "fixed-buffers" -> fixed = onOff(prefix + "fixed-buffers", value);
                case "sqpoll" -> sqpoll = onOff(prefix + "sqpoll", value);
                case "fail" -> {
                    if (!value.matches("[0-9]+(-[0-9]+)?(:[0-9]+(-[0-9]+)?)*")) {
                        throw usage(prefix + "fail must be sectors like 2048:10000-10007 (got '" + value + "')");
                    }
                    try {
                        fail = SectorSet.parse(value.replace(':', ','));
                    } catch (IllegalArgumentException e) {
                        throw usage(prefix + "fail: " + e.getMessage());
                    }
                }
                default -> throw usage(prefix + "unknown option '" + key + "' (known: readonly, serial, backend, "
                    + "queues, poll-us, direct, fixed-buffers, sqpoll, fail)");
            }
        }
        return new DiskConfig(path, ro, serial, backend, queues, pollNs, direct, fixed, sqpoll, fail, nullBytes);
    }

    private static boolean onOff(String what, String value) {
        return switch (value) {
            case "on", "true", "1", "" -> true;
            case "off", "false", "0" -> false;
            default -> throw usage(what + " must be on or off (got '" + value + "')");
        };
    }
}
