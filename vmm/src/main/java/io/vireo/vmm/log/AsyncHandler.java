package io.vireo.vmm.log;

import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * A JUL handler that never makes the logging thread wait for the terminal: {@link #publish} offers the record to a
 * bounded lock-free queue (JCTools MPSC, VarHandle flavour) and wakes the writer thread, which formats and prints
 * it. A full queue drops the record and counts it; the writer says how many were dropped. A queue agent that logs a
 * guest fault therefore pays for a {@code LogRecord} and a queue offer, never for a {@code write(2)} to a slow or
 * blocked stderr. The writer thread starts with the first record (most runs log nothing and so hold no thread for
 * it).
 */
public final class AsyncHandler extends Handler {
    private final MpscVarHandleArrayQueue<LogRecord> queue;
    private final PrintStream out;
    private final AtomicLong dropped = new AtomicLong();
    private final Object drainLock = new Object();
    private final Thread writer;
    private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;

    public AsyncHandler(PrintStream out, Formatter formatter, int capacity) {
        this.queue = new MpscVarHandleArrayQueue<>(capacity);
        this.out = out;
        setFormatter(formatter);
        this.writer = Thread.ofPlatform().name("vireo-log").daemon(true).unstarted(this::run);
    }

    @Override
    public void publish(LogRecord r) {
        if (closed || !isLoggable(r)) {
            return;
        }
        if (queue.offer(r)) {
            if (!started.get() && started.compareAndSet(false, true)) {
                writer.start();
            }
            LockSupport.unpark(writer);
        } else {
            dropped.incrementAndGet();
        }
    }

    private void run() {
        while (!closed) {
            drain();
            LockSupport.parkNanos(this, TimeUnit.SECONDS.toNanos(1));
        }
    }

    /** Prints what is queued; the writer thread, or {@link #flush} at exit (one consumer at a time). */
    private void drain() {
        synchronized (drainLock) {
            boolean any = false;
            LogRecord r;
            while ((r = queue.poll()) != null) {
                out.print(getFormatter().format(r));
                any = true;
            }
            long lost = dropped.getAndSet(0);
            if (lost > 0) {
                out.print("vireo: warning: " + lost + " log lines dropped (the log writer fell behind)\n");
                any = true;
            }
            if (any) {
                out.flush();
            }
        }
    }

    /** Prints everything queued so far, on the caller's thread. */
    @Override
    public void flush() {
        drain();
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(writer);
        drain();
    }
}
