package io.vireo.vmm.machine;

import io.vireo.dataplane.virtio.device.blk.backend.SectorSet;

import java.nio.file.Path;

/**
 * One virtio-blk disk as the machine builds it: typed, already checked (the CLI's {@code --disk} grammar is parsed
 * into this by {@code cli.DiskSpec}; an embedder builds it directly).
 *
 * @param path         the image file, or null for a null disk of {@code nullBytes} with no file
 * @param readOnly     offer VIRTIO_BLK_F_RO and open the file read-only
 * @param serial       what GET_ID returns (at most 20 bytes, virtio 1.2 §5.2.6)
 * @param backend      how requests reach the image
 * @param queues       request queues (num_queues); 0 = one per vCPU, at most {@link #MAX_QUEUES}
 * @param pollNs       how long a queue agent keeps polling after the last request (0 = sleep after each batch)
 * @param direct       O_DIRECT policy (io_uring back end)
 * @param fixedBuffers register guest RAM with each io_uring ring
 * @param sqpoll       a kernel SQ polling thread per io_uring ring
 * @param failSectors  sectors whose requests complete with VIRTIO_BLK_S_IOERR (fault injection; empty = none)
 * @param nullBytes    the size of a null disk without a file, else 0
 */
public record DiskConfig(Path path, boolean readOnly, String serial, Backend backend, int queues, long pollNs,
                         Direct direct, boolean fixedBuffers, boolean sqpoll, SectorSet failSectors, long nullBytes) {
    public static final int MAX_QUEUES = 64;
    /**
     * The default bound of a disk queue's adaptive poll: 128 µs, about three times the interrupt round trip an
     * interrupt-driven guest takes on this PVM host (~40 µs), so that such a guest's next request is caught by polling
     * instead of costing a kick, a VM exit and a wake-up (scripts/compare-irq: QD 1 mean 0.56-0.64x QEMU's, against
     * 0.87-1.00x with QEMU's own 32 µs). The budget adapts within it (PollBudget); an idle queue costs one bound of
     * polling before the agent sleeps.
     */
    public static final long DEFAULT_POLL_NS = 128_000;

    /** The back end serving a disk. */
    public enum Backend {
        /** Asynchronous io_uring; positional I/O where the kernel refuses io_uring. */
        IO_URING,
        /** Positional I/O (preadv/pwritev) on the agent's thread. */
        SYNC,
        /** No I/O at all: every request completes at once (measures the data plane alone). */
        NULL
    }

    /** O_DIRECT for the io_uring back end. */
    public enum Direct {
        /** Try O_DIRECT, else buffered (said once). */
        AUTO,
        /** O_DIRECT or fail. */
        ON,
        /** Buffered through the host page cache. */
        OFF
    }

    public DiskConfig {
        if (path == null && (backend != Backend.NULL || nullBytes <= 0)) {
            throw new IllegalArgumentException("a disk without a file needs backend NULL and a size");
        }
        if (queues < 0 || queues > MAX_QUEUES) {
            throw new IllegalArgumentException("queues must be between 0 and " + MAX_QUEUES + ": " + queues);
        }
        serial = serial == null ? "" : serial;
        failSectors = failSectors == null ? SectorSet.empty() : failSectors;
    }

    /** A plain file disk with every default (tests, embedding). */
    public static DiskConfig of(Path path, boolean readOnly, String serial) {
        return new DiskConfig(path, readOnly, serial, Backend.IO_URING, 0, DEFAULT_POLL_NS, Direct.AUTO, false, false,
            SectorSet.empty(), 0);
    }

    /** The name for messages: the path, or {@code null:SIZE}. */
    public String name() {
        return path != null ? path.toString() : "null:" + nullBytes;
    }
}
