package io.vireo.vmm.log;

import io.vireo.dataplane.virtio.FaultLog;

import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The launcher's logging: every {@link System.Logger} and JUL record Vireo writes becomes one line on stderr,
 * {@code vireo: warning: ...} ({@link OneLineFormatter}), printed by a writer thread ({@link AsyncHandler}), in UTF-8
 * and with raw-mode line endings ({@link Console}). The library ({@code dataplane}) only logs through
 * {@code System.Logger}; an embedder routes it its own way.
 */
public final class Logging {
    private static final int QUEUE_CAPACITY = 1024;
    private static volatile AsyncHandler handler;
    private static volatile Thread installer;

    private static Logger chronicle;

    private Logging() {
    }

    /**
     * Installs the console streams and the handler, and warms up the logging path (class loading, the System.Logger
     * bridge, the formatter) so that the first guest fault does not pay for it on a queue agent's thread. Call once,
     * at startup, before any device exists.
     */
    public static synchronized void install(boolean verbose) {
        if (handler != null) {
            return;
        }
        Console.install();
        installHandler(verbose);
    }

    /**
     * As {@link #install}, with the handler's part on a short-lived thread of its own: setting up java.util.logging
     * looks for a {@code System.LoggerFinder} with ServiceLoader, which opens every jar on the class path (~35 ms of
     * a cold JVM), time that {@code vireo} spends parsing its command line meanwhile. {@link #awaitInstalled} before
     * anything may log.
     */
    public static synchronized void installInBackground(boolean verbose) {
        if (handler != null || installer != null) {
            return;
        }
        Console.install();
        installer = Thread.ofPlatform().name("vireo-log-init").start(() -> installHandler(verbose));
    }

    /** Waits for {@link #installInBackground} to finish (at once after {@link #install}, or when there was none). */
    public static void awaitInstalled() {
        Thread t = installer;
        if (t == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void installHandler(boolean verbose) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.INFO);
        AsyncHandler h = new AsyncHandler(System.err, new OneLineFormatter(verbose), QUEUE_CAPACITY);
        h.setLevel(Level.INFO);
        root.addHandler(h);
        h.getFormatter().format(new LogRecord(Level.WARNING, "warm-up"));
        System.getLogger(FaultLog.LOGGER).isLoggable(System.Logger.Level.WARNING);
        // A thread that dies of an exception: one line too (the trace with --verbose), not the JVM's stack dump.
        Logger uncaught = Logger.getLogger("io.vireo");
        Thread.setDefaultUncaughtExceptionHandler((thread, e) ->
            uncaught.log(Level.SEVERE, "thread " + thread.getName() + " died", e));
        // chronicle-bytes (the request trace) reports its own start-up and each mapping at INFO: only its warnings
        // are for the user. Held in a field: JUL keeps loggers weakly, and a collected one forgets its level.
        chronicle = Logger.getLogger("net.openhft");
        chronicle.setLevel(Level.WARNING);
        handler = h;
    }

    /** Prints every queued line now (before exit). */
    public static void flush() {
        awaitInstalled();
        AsyncHandler h = handler;
        if (h != null) {
            h.flush();
        }
    }
}
