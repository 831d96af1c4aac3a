package io.vireo.vmm.cli;

import java.nio.file.Path;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * One {@code --disk PATH[,readonly=on|off][,serial=ID]}. The serial is what GET_ID returns (at most
 * 20 bytes, virtio 1.2 5.2.6: VIRTIO_BLK_ID_BYTES).
 */
public record DiskSpec(Path path, boolean readOnly, String serial) {
    static final int MAX_SERIAL_BYTES = 20;

    public static DiskSpec parse(String text) {
        String[] parts = text.split(",", -1);
        if (parts[0].isEmpty()) {
            throw usage("--disk needs a path: --disk PATH[,readonly=on][,serial=ID] (got '" + text + "')");
        }
        boolean ro = false;
        String serial = "";
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            switch (key) {
                case "readonly", "ro" -> ro = switch (value) {
                    case "on", "true", "1", "" -> true;
                    case "off", "false", "0" -> false;
                    default -> throw usage("--disk " + parts[0] + ": readonly must be on or off (got '" + value + "')");
                };
                case "serial" -> {
                    if (value.length() > MAX_SERIAL_BYTES || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                        throw usage("--disk " + parts[0] + ": serial must be 1 to 20 printable ASCII characters (got '"
                            + value + "')");
                    }
                    serial = value;
                }
                default -> throw usage("--disk " + parts[0] + ": unknown option '" + key
                    + "' (known: readonly=on|off, serial=ID)");
            }
        }
        return new DiskSpec(Path.of(parts[0]), ro, serial);
    }
}
