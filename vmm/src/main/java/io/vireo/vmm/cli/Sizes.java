package io.vireo.vmm.cli;

import io.vireo.vmm.VireoException;
import io.vireo.vmm.ExitStatus;

import java.util.Locale;

/** Parses sizes the way QEMU's -m does: a bare number is MiB; K, M, G, T suffixes (KiB etc.) are binary. */
public final class Sizes {
    private Sizes() {
    }

    public static long parseBytes(String flag, String text) {
        try {
            return bytes(text);
        } catch (IllegalArgumentException e) {
            throw usage(flag + " " + e.getMessage());
        }
    }

    /** A size, as {@link #parseBytes}; the message of the exception names the value but not the flag. */
    public static long bytes(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("IB")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B") && t.length() > 1 && !Character.isDigit(t.charAt(t.length() - 2))) {
            t = t.substring(0, t.length() - 1);
        }
        int shift = 20;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> shift = -1;
            }
            if (shift >= 0) {
                t = t.substring(0, t.length() - 1);
            } else {
                shift = 20;
            }
        }
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 512M, 4G)");
        }
        if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + text + "' is out of range");
        }
        return n << shift;
    }

    public static int parseInt(String flag, String text) {
        try {
            return wholeNumber(text);
        } catch (IllegalArgumentException e) {
            throw usage(flag + " " + e.getMessage());
        }
    }

    /** An int; the message of the exception names the value but not the flag. */
    public static int wholeNumber(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number", e);
        }
    }

    public static VireoException usage(String message) {
        return new VireoException(ExitStatus.USAGE, message);
    }
}
