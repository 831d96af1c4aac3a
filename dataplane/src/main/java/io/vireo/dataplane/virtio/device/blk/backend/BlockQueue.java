package io.vireo.dataplane.virtio.device.blk.backend;

import java.lang.foreign.MemorySegment;

/**
 * One virtqueue's asynchronous I/O context: requests are prepared one by one, handed to the kernel together by
 * {@link #submit()} (at most one system call per batch), and their results come back through {@link #reap}. Owned by
 * one worker thread; nothing here allocates, locks, or throws on I/O failure.
 *
 * <p>A tag ({@code 0 <= tag < depth}) names a request from prepare to completion and is not reused before its
 * completion has been reaped. Scatter/gather lists are native {@code struct iovec} arrays (16 bytes per entry:
 * host address, length) that point straight into guest RAM; the caller keeps them, and the memory they describe,
 * unchanged until the completion; {@code iovecs} spans at least {@code iovcnt} entries and {@code bytes} is the sum
 * of their lengths. Results are 0 (every byte moved) or {@code -errno}; a back end that moves fewer
 * bytes than asked continues the transfer itself or reports {@code -EIO}.
 *
 * <p>A prepare method returns 0 when the request is queued (its completion will be reaped exactly once), or a
 * negative errno when it was refused at once (no completion follows): {@code -EAGAIN} when {@code depth} requests are
 * already in flight.
 */
public interface BlockQueue extends AutoCloseable {

    /** Reads {@code bytes} from byte {@code offset} of the disk into the {@code iovcnt} buffers of {@code iovecs}. */
    int prepareRead(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes);

    /** Writes {@code bytes} at byte {@code offset} from the {@code iovcnt} buffers of {@code iovecs}. */
    int prepareWrite(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes);

    /** Makes every write completed before it durable ({@code fdatasync}). */
    int prepareFlush(int tag);

    /** Frees {@code length} bytes at {@code offset}: they read back as zeros afterwards. */
    int prepareDiscard(int tag, long offset, long length);

    /** Zeroes {@code length} bytes at {@code offset}; with {@code unmap} the space may be freed (punch hole). */
    int prepareWriteZeroes(int tag, long offset, long length, boolean unmap);

    /** Hands every prepared request to the kernel; one system call at most. Returns how many, or {@code -errno}. */
    int submit();

    /** Reports finished requests to {@code sink}, without blocking; returns how many. */
    int reap(CompletionSink sink);

    /** Requests prepared and not yet reaped. */
    int inFlight();

    /**
     * Prepared requests the kernel has not taken yet (a failed or partial submission): pending work, not in-flight
     * I/O, since no completion will come for them until {@link #submit()} runs again. 0 for back ends that submit
     * synchronously. A wrapper must pass this on.
     */
    default int unsubmitted() {
        return 0;
    }

    /**
     * An eventfd that becomes readable when completions wait, for the worker to sleep on while requests are in
     * flight; -1 when every request is complete by the time {@link #submit()} returns (synchronous back ends).
     * It counts completions and stays readable until read: the worker reads it (non-blocking, 8 bytes) before it
     * reaps, so that a later wake-up means new completions.
     */
    int completionEventFd();

    /**
     * The worker polls: completions need not signal {@link #completionEventFd()} (io_uring:
     * IORING_CQ_EVENTFD_DISABLED). A wrapper must pass this on.
     */
    default void quietCompletions() {
    }

    /**
     * The worker is about to sleep: completions signal {@link #completionEventFd()} again. Returns true when
     * completions already wait to be reaped (the worker must not sleep). A wrapper must pass this on.
     */
    default boolean armCompletions() {
        return false;
    }

    /** Waits for requests in flight to finish (completions dropped) and releases the context. Control path. */
    @Override
    void close();
}
