package io.vireo.vmm.machine;

import io.vireo.dataplane.virtio.device.blk.BlkWarmup;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.device.blk.backend.IoUringBackend;
import io.vireo.dataplane.virtio.device.blk.backend.IoUringOptions;
import io.vireo.dataplane.virtio.device.blk.backend.NullBackend;
import io.vireo.dataplane.virtio.device.blk.backend.SyncFileBackend;
import io.vireo.sys.Libc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Compiles the disks' data plane while the guest boots ({@link BlkWarmup}): one short-lived platform thread drives
 * private queues through a twin of each kind of back end the machine's disks use (null; io_uring and positional I/O
 * over a private 1 MiB memfd), then ends. It starts before the vCPUs and stops at its request budget, at its
 * deadline, or when the machine closes; the guest's queues, memory and interrupts are never touched.
 *
 * <p>{@code VIREO_WARMUP=N} (requests per back-end kind, default {@value #DEFAULT_REQUESTS}; 0 = off) tunes it.
 */
final class DiskWarmup implements AutoCloseable {
    static final long DEFAULT_REQUESTS = 40_000;
    private static final System.Logger LOG = System.getLogger(DiskWarmup.class.getName());
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final int TWIN_BYTES = 1 << 20;

    private final BlkWarmup warmup = new BlkWarmup();
    private final Thread thread;
    private volatile String summary = "warm-up: still running";

    private DiskWarmup(List<Supplier<BlockBackend>> twins, long requests, BooleanSupplier guestBusy) {
        this.thread = Thread.ofPlatform().name("vireo-warmup").daemon(true)
            .unstarted(() -> run(twins, requests, guestBusy));
    }

    /**
     * Starts the warm-up for the kinds of {@code backends}; null when there is nothing to warm. It ends early once
     * {@code guestBusy} (the guest has sent its first request) holds: it must not take CPU from the guest's I/O.
     */
    static DiskWarmup start(List<BlockBackend> backends, BooleanSupplier guestBusy) {
        long requests = requestsFromEnv();
        Set<Class<?>> kinds = new LinkedHashSet<>();
        List<Supplier<BlockBackend>> twins = new ArrayList<>();
        for (BlockBackend b : backends) {
            Supplier<BlockBackend> twin = twinOf(b);
            if (twin != null && kinds.add(b.getClass())) {
                twins.add(twin);
            }
        }
        if (twins.isEmpty() || requests <= 0) {
            return null;
        }
        DiskWarmup w = new DiskWarmup(twins, requests, guestBusy);
        w.thread.start();
        return w;
    }

    private static long requestsFromEnv() {
        String v = System.getenv("VIREO_WARMUP");
        if (v == null || v.isBlank()) {
            return DEFAULT_REQUESTS;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            LOG.log(System.Logger.Level.WARNING, "VIREO_WARMUP=" + v + " is not a number of requests: using "
                + DEFAULT_REQUESTS);
            return DEFAULT_REQUESTS;
        }
    }

    /** A back end of the same kind over private storage, or null for kinds not warmed (fault injection). */
    private static Supplier<BlockBackend> twinOf(BlockBackend b) {
        if (b instanceof NullBackend) {
            return () -> new NullBackend(TWIN_BYTES);
        }
        if (b instanceof IoUringBackend) {
            return () -> onMemfd(path -> IoUringBackend.open(path, IoUringOptions.builder()
                .direct(IoUringOptions.Direct.OFF).build()));
        }
        if (b instanceof SyncFileBackend) {
            return () -> onMemfd(path -> SyncFileBackend.open(path, false));
        }
        return null;
    }

    /** Opens a back end on a fresh memfd; the memfd's own fd is closed at once (the back end holds its own). */
    private static BlockBackend onMemfd(java.util.function.Function<Path, BlockBackend> open) {
        int fd = Libc.memfdCreate("vireo-warmup", Libc.MFD_CLOEXEC);
        try {
            Libc.ftruncate(fd, TWIN_BYTES);
            return open.apply(Path.of("/proc/self/fd/" + fd));
        } finally {
            Libc.closeQuietly(fd);
        }
    }

    private void run(List<Supplier<BlockBackend>> twins, long requests, BooleanSupplier guestBusy) {
        long start = System.nanoTime();
        long deadline = start + DEADLINE_NANOS;
        long done = 0;
        StringBuilder kinds = new StringBuilder();
        try {
            for (Supplier<BlockBackend> twin : twins) {
                try (BlockBackend backend = twin.get()) {
                    done += warmup.run(backend, requests, deadline, guestBusy);
                    kinds.append(kinds.isEmpty() ? "" : ", ").append(backend.describe());
                }
            }
            summary = String.format("warm-up: %d requests over private queues (%s) in %.1f ms", done, kinds,
                (System.nanoTime() - start) / 1e6);
        } catch (RuntimeException e) {
            summary = "warm-up: stopped after " + done + " requests: " + e.getMessage();
        }
    }

    String summary() {
        return summary;
    }

    @Override
    public void close() {
        warmup.stop();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
