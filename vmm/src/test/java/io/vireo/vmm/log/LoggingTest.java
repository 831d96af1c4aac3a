package io.vireo.vmm.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher's log path: one-line format, raw-mode line endings, a handler that never blocks its caller. */
class LoggingTest {
    @AfterEach
    void cooked() {
        Console.rawMode(false);
    }

    @Test
    void shouldFormatOneLinePerRecordWithoutStackTraceUnlessVerbose() {
        LogRecord r = new LogRecord(Level.WARNING, "disk0 (00:01.0) q0: AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) x\ny");
        r.setThrown(new IllegalStateException("boom"));
        String quiet = new OneLineFormatter(false).format(r);
        assertEquals("vireo: warning: disk0 (00:01.0) q0: AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) x; y "
            + "(java.lang.IllegalStateException: boom)\n", quiet);
        String verbose = new OneLineFormatter(true).format(r);
        assertTrue(verbose.startsWith(quiet), verbose);
        assertTrue(verbose.contains("\tat io.vireo.vmm.log.LoggingTest."), verbose);
        assertEquals("vireo: error: x\n", new OneLineFormatter(false).format(new LogRecord(Level.SEVERE, "x")));
        assertEquals("vireo: note: x\n", new OneLineFormatter(false).format(new LogRecord(Level.INFO, "x")));
        LogRecord params = new LogRecord(Level.WARNING, "type {0} at {1}");
        params.setParameters(new Object[] {2, "00:01.0"});
        assertEquals("vireo: warning: type 2 at 00:01.0\n", new OneLineFormatter(false).format(params));
    }

    @Test
    void shouldEndLinesWithCrLfOnlyWhileTheTerminalIsRaw() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream err = new PrintStream(new Console.CrlfWhileRaw(bytes), true, StandardCharsets.UTF_8)) {
            err.print("cooked\n");
            Console.rawMode(true);
            err.print("raw § one\nraw two\r\n");
            err.write('\n');
            Console.rawMode(false);
            err.print("cooked again\n");
        }
        assertEquals("cooked\nraw § one\r\nraw two\r\n\r\ncooked again\n", bytes.toString(StandardCharsets.UTF_8));
    }

    /** The guest's UART shares the terminal: a line must reach it in one write, CR LF included, or bytes interleave. */
    @Test
    void shouldWriteARawLineAndItsCrLfInOneWrite() throws IOException {
        List<String> writes = new ArrayList<>();
        OutputStream recorder = new OutputStream() {
            @Override
            public void write(int b) {
                writes.add(String.valueOf((char) b));
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writes.add(new String(b, off, len, StandardCharsets.UTF_8));
            }
        };
        try (PrintStream err = new PrintStream(new Console.CrlfWhileRaw(recorder), true, StandardCharsets.UTF_8)) {
            Console.rawMode(true);
            err.print("vireo: warning: one\nvireo: warning: two\n");
        } finally {
            Console.rawMode(false);
        }
        assertEquals(List.of("vireo: warning: one\r\nvireo: warning: two\r\n"), writes);
    }

    @Test
    void shouldNotBlockThePublisherWhenTheTerminalBlocks() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                try {
                    release.await(); // a terminal nobody reads
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                written.write(b);
            }
        };
        AsyncHandler h = new AsyncHandler(new PrintStream(stuck, false, StandardCharsets.UTF_8),
            new OneLineFormatter(false), 16);
        try {
            Thread publisher = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    h.publish(new LogRecord(Level.WARNING, "fault " + i));
                }
            });
            // Not a timing assertion: with a blocking handler the publisher would never finish at all.
            publisher.join(TimeUnit.SECONDS.toMillis(60));
            assertTrue(!publisher.isAlive(), "publish() waited for the blocked terminal");
        } finally {
            release.countDown();
            h.close();
        }
        String out = written.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("vireo: warning: fault 0\n"), out);
        assertTrue(out.contains(" log lines dropped (the log writer fell behind)\n"), out);
    }
}
