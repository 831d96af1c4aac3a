package io.vireo.vmm.cli;

import static io.vireo.vmm.cli.Sizes.usage;

import io.vireo.vmm.machine.VhostUserConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Parses the devices served by other processes over vhost-user, in the style of Cloud Hypervisor's options:
 * {@code --disk vhost-user=SOCKET[,queues=N][,queue-size=N]} and
 * {@code --fs tag=TAG,socket=SOCKET[,queues=N][,queue-size=N]}.
 */
public final class VhostUserSpec {
    static final String DISK_PREFIX = "vhost-user=";
    private static final String DISK_SYNTAX = "--disk vhost-user=SOCKET[,queues=N][,queue-size=N]";
    private static final String FS_SYNTAX = "--fs tag=TAG,socket=SOCKET[,queues=N][,queue-size=N]";

    private VhostUserSpec() {
    }

    static boolean isDisk(String text) {
        return text.startsWith(DISK_PREFIX);
    }

    /** {@code vhost-user=SOCKET[,queues=N][,queue-size=N]}. */
    public static VhostUserConfig parseDisk(String text) {
        String[] parts = text.split(",", -1);
        String socket = parts[0].substring(DISK_PREFIX.length());
        if (socket.isEmpty()) {
            throw usage("--disk vhost-user= needs a socket path: " + DISK_SYNTAX);
        }
        String prefix = "--disk " + parts[0] + ": ";
        int queues = 1;
        int queueSize = VhostUserConfig.DEFAULT_BLK_QUEUE_SIZE;
        for (int i = 1; i < parts.length; i++) {
            String key = key(parts[i]);
            String value = value(parts[i]);
            switch (key) {
                case "queues" -> queues = queues(prefix, value);
                case "queue-size" -> queueSize = queueSize(prefix, value);
                default -> throw usage(prefix + "unknown option '" + key + "' (known: queues, queue-size)");
            }
        }
        return new VhostUserConfig(VhostUserConfig.Kind.BLK, Path.of(socket), queues, queueSize, null);
    }

    /** {@code tag=TAG,socket=SOCKET[,queues=N][,queue-size=N]}. */
    public static VhostUserConfig parseFs(String text) {
        String tag = null;
        String socket = null;
        int queues = 1;
        int queueSize = VhostUserConfig.DEFAULT_FS_QUEUE_SIZE;
        for (String p : text.split(",", -1)) {
            String key = key(p);
            String value = value(p);
            switch (key) {
                case "tag" -> tag = value;
                case "socket" -> socket = value;
                case "queues" -> queues = queues("--fs " + text + ": ", value);
                case "queue-size" -> queueSize = queueSize("--fs " + text + ": ", value);
                default -> throw usage("--fs " + text + ": unknown option '" + key + "' (" + FS_SYNTAX + ")");
            }
        }
        if (tag == null || tag.isEmpty()) {
            throw usage("--fs " + text + ": the tag is empty (" + FS_SYNTAX + ")");
        }
        int bytes = tag.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > VhostUserConfig.MAX_TAG_BYTES) {
            throw usage("--fs tag=" + tag + ": " + bytes + " bytes is too long (at most "
                + VhostUserConfig.MAX_TAG_BYTES + ", virtio 1.2 §5.11.4)");
        }
        if (socket == null || socket.isEmpty()) {
            throw usage("--fs " + text + ": socket= is missing (" + FS_SYNTAX + ")");
        }
        return new VhostUserConfig(VhostUserConfig.Kind.FS, Path.of(socket), queues, queueSize, tag);
    }

    private static String key(String part) {
        int eq = part.indexOf('=');
        return eq < 0 ? part : part.substring(0, eq);
    }

    private static String value(String part) {
        int eq = part.indexOf('=');
        return eq < 0 ? "" : part.substring(eq + 1);
    }

    private static int queues(String prefix, String value) {
        int n = Sizes.parseInt(prefix + "queues", value);
        if (n < 1 || n > VhostUserConfig.MAX_QUEUES) {
            throw usage(prefix + "queues must be between 1 and " + VhostUserConfig.MAX_QUEUES + " (got " + value + ")");
        }
        return n;
    }

    private static int queueSize(String prefix, String value) {
        int n = Sizes.parseInt(prefix + "queue-size", value);
        if (n < 1 || n > 32768 || (n & (n - 1)) != 0) {
            throw usage(prefix + "queue-size must be a power of two up to 32768 (got " + value + ")");
        }
        return n;
    }
}
