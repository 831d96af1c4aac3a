package io.vireo.dataplane.virtio.device.net.backend;

import java.lang.foreign.MemorySegment;

/**
 * One queue pair's end of a {@link NetBackend}: frames out of the guest ({@link #send}) and into it
 * ({@link #receive}), each with its 12-byte virtio-net header first, moved straight between guest buffers (an array of
 * {@code struct iovec} pointing into guest RAM) and the back end. Owned by the pair's agent thread: no locks; no
 * allocation; at most one system call per frame.
 */
public interface NetPort {

    /** Whether {@link #send} would take a frame now; false makes the device leave transmit chains in the ring. */
    boolean canSend();

    /**
     * Sends one frame: {@code iovCount} iovecs of {@code bytes} in all, header first.
     *
     * @return 0, or {@code -errno} when the frame was dropped
     */
    int send(MemorySegment iov, int iovCount, long bytes);

    /**
     * Bytes (header included) of the next frame waiting: exact when the back end knows it, -1 when it cannot tell
     * without reading (a tap: maybe a frame, of at most the size the offloads allow), 0 when none waits.
     */
    long nextFrameBytes();

    /**
     * Receives the next frame into {@code iovCount} iovecs, header first.
     *
     * @return its bytes (header included), 0 when none waits, or {@code -errno} when a frame was lost
     */
    long receive(MemorySegment iov, int iovCount);

    /** Drops the next waiting frame (it fits no buffer the driver posted). */
    void dropNext();

    /**
     * A file descriptor that becomes readable when frames arrive from outside, slept on by the agent (edge-triggered:
     * never read by it), or -1 when frames only come from this port's own {@link #send} (loopback).
     */
    int readinessFd();
}
