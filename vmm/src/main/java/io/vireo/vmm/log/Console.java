package io.vireo.vmm.log;

import io.vireo.sys.Libc;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What Vireo prints on the terminal: UTF-8 whatever the locale says ({@code LANG=C} would turn {@code §} into
 * {@code ?}), and lines that still start at the left margin while the guest's console holds the terminal in raw mode
 * (no output processing, so a bare {@code \n} would only move down): stderr then ends its lines with {@code \r\n}.
 * The guest's own bytes (the UART, on file descriptor 1) are not touched.
 */
public final class Console {
    private static final int STDERR = 2;
    private static volatile boolean raw;
    private static volatile boolean stderrTerminal;

    private Console() {
    }

    /** Replaces {@link System#out} and {@link System#err}; once, at startup. */
    public static void install() {
        System.setOut(new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 8192),
            true, StandardCharsets.UTF_8));
        // Only a terminal's raw mode matters: stderr redirected to a file or pipe keeps plain \n. Whether stderr is a
        // terminal is asked when raw mode starts (on the console thread), not here: isatty is the process's first
        // downcall on this thread, and linking one costs milliseconds of code generation before the VM can start.
        System.setErr(new PrintStream(new CrlfWhileRaw(new FileOutputStream(FileDescriptor.err), true), true,
            StandardCharsets.UTF_8));
    }

    /** The terminal went into raw mode (true) or back (false). */
    public static void rawMode(boolean on) {
        if (on) {
            stderrTerminal = Libc.isatty(STDERR) == 1;
        }
        raw = on;
    }

    public static boolean rawMode() {
        return raw;
    }

    /** {@code \n} becomes {@code \r\n} while {@link #rawMode()} (unless a {@code \r} is already before it). */
    static final class CrlfWhileRaw extends FilterOutputStream {
        private static final byte[] CRLF = {'\r', '\n'};
        private final boolean onlyOnTerminal;
        private int last = -1;

        CrlfWhileRaw(OutputStream out) {
            this(out, false);
        }

        /** @param onlyOnTerminal only while stderr is a terminal (System.err's stream) */
        CrlfWhileRaw(OutputStream out, boolean onlyOnTerminal) {
            super(out);
            this.onlyOnTerminal = onlyOnTerminal;
        }

        private boolean active() {
            return raw && (!onlyOnTerminal || stderrTerminal);
        }

        @Override
        public void write(int b) throws IOException {
            if (b == '\n' && last != '\r' && active()) {
                out.write(CRLF, 0, 2);
            } else {
                out.write(b);
            }
            last = b & 0xff;
        }

        /** {@code b[i]} is a {@code \n} with no {@code \r} before it (in this write, or last in the one before). */
        private boolean needsCr(byte[] b, int off, int i) {
            return b[i] == '\n' && (i > off ? b[i - 1] : last) != '\r';
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (!active()) {
                out.write(b, off, len);
                if (len > 0) {
                    last = b[off + len - 1] & 0xff;
                }
                return;
            }
            // One write(2) for the whole buffer, as when not raw: the guest's UART writes to the same terminal from
            // another thread, and a line split at its \r would let the guest's bytes in between (seen in CI).
            int added = 0;
            for (int i = off; i < off + len; i++) {
                if (needsCr(b, off, i)) {
                    added++;
                }
            }
            if (added == 0) {
                out.write(b, off, len);
            } else {
                byte[] crlf = new byte[len + added];
                int j = 0;
                for (int i = off; i < off + len; i++) {
                    if (needsCr(b, off, i)) {
                        crlf[j++] = '\r';
                    }
                    crlf[j++] = b[i];
                }
                out.write(crlf, 0, j);
            }
            if (len > 0) {
                last = b[off + len - 1] & 0xff;
            }
        }
    }
}
