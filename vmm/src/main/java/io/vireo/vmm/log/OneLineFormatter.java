package io.vireo.vmm.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * {@code vireo: warning: MESSAGE}: one line per record, no timestamp or class name (the message names the device and
 * the rule). Line breaks inside a message become {@code "; "}. A record's exception is appended as {@code (toString)};
 * its stack trace only with {@code --verbose}.
 */
public final class OneLineFormatter extends Formatter {
    private final boolean stackTraces;

    public OneLineFormatter(boolean stackTraces) {
        this.stackTraces = stackTraces;
    }

    @Override
    public String format(LogRecord r) {
        StringBuilder sb = new StringBuilder(160).append("vireo: ").append(word(r.getLevel())).append(": ");
        String message = formatMessage(r);
        sb.append(message == null ? "" : message.strip().replace("\r\n", "; ").replace('\r', ' ')
            .replace("\n", "; "));
        Throwable t = r.getThrown();
        if (t != null) {
            sb.append(" (").append(String.valueOf(t).replace('\n', ' ')).append(')');
        }
        sb.append('\n');
        if (t != null && stackTraces) {
            StringWriter trace = new StringWriter();
            t.printStackTrace(new PrintWriter(trace));
            sb.append(trace);
        }
        return sb.toString();
    }

    static String word(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "error";
        }
        if (v >= Level.WARNING.intValue()) {
            return "warning";
        }
        if (v >= Level.INFO.intValue()) {
            return "note";
        }
        return level.getName().toLowerCase(Locale.ROOT);
    }
}
