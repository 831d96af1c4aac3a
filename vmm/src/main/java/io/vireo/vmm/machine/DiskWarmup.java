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
 * Compiles the disks' data plane while the VM is set up and the guest boots ({@link BlkWarmup}): one short-lived
 * platform thread drives private queues through a twin of each kind of back end the machine's disks use (null;
 * io_uring and positional I/O over a private 1 MiB memfd), then ends. It starts as soon as the configuration is
 * known, before anything of the VM exists, and stops at its request budget, at its deadline, when the guest's driver
 * activates a disk (DRIVER_OK: its first request comes moments later and must not share the CPU with the warm-up), or
 * when the machine closes; the guest's queues, memory and interrupts are never touched. Disks with
 * injected faults are not warmed (their wrapper is a test tool).
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
    private long doneRequests;
    private long doneNanos;
    private volatile String doneKinds; // written last: publishes doneRequests and doneNanos

    /** Whether the guest has started its own I/O; none until the machine's disks exist ({@link #guestBusy}). */
    private volatile BooleanSupplier guestBusy = () -> false;

    private DiskWarmup(List<Supplier<BlockBackend>> twins, long requests) {
        this.thread = Thread.ofPlatform().name("vireo-warmup").daemon(true)
            .unstarted(() -> run(twins, requests, () -> guestBusy.getAsBoolean()));
    }

    /**
     * Starts the warm-up for the back-end kinds of {@code disks}, as soon as the configuration is known (before KVM,
     * the guest's memory and the devices are set up: the head start is what lets the JIT finish before the guest's
     * first request); null when there is nothing to warm.
     */
    static DiskWarmup start(List<DiskConfig> disks) {
        long requests = requestsFromEnv();
        Set<DiskConfig.Backend> kinds = new LinkedHashSet<>();
        List<Supplier<BlockBackend>> twins = new ArrayList<>();
        for (DiskConfig d : disks) {
            if (d.failSectors().isEmpty() && kinds.add(d.backend())) {
                twins.add(twinOf(d.backend()));
            }
        }
        if (twins.isEmpty() || requests <= 0) {
            return null;
        }
        DiskWarmup w = new DiskWarmup(twins, requests);
        w.thread.start();
        return w;
    }

    /**
     * From now on the warm-up ends early once {@code busy} holds (a driver activated a disk): it must not take CPU
     * from the guest's I/O.
     */
    void guestBusy(BooleanSupplier busy) {
        guestBusy = busy;
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

    /** A back end of the kind over private storage. */
    private static Supplier<BlockBackend> twinOf(DiskConfig.Backend kind) {
        return switch (kind) {
            case NULL -> () -> new NullBackend(TWIN_BYTES);
            case IO_URING -> () -> onMemfd(path -> IoUringBackend.open(path, IoUringOptions.builder()
                .direct(IoUringOptions.Direct.OFF).build()));
            case SYNC -> () -> onMemfd(path -> SyncFileBackend.open(path, false));
        };
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
            // Numbers now, text when the report asks (summary()): a VM's first String.format sets up Formatter and the
            // locale's number symbols, milliseconds of CPU that here would come just as the guest starts its I/O.
            doneRequests = done;
            doneNanos = System.nanoTime() - start;
            doneKinds = kinds.toString();
        } catch (RuntimeException e) {
            summary = "warm-up: stopped after " + done + " requests: " + e.getMessage();
        }
    }

    String summary() {
        String kinds = doneKinds;
        return kinds == null ? summary : String.format("warm-up: %d requests over private queues (%s) in %.1f ms",
            doneRequests, kinds, doneNanos / 1e6);
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
