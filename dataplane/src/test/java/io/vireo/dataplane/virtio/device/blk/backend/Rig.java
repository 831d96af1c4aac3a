package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.IoVecLayout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared by the back-end tests: a "guest RAM" arena, iovec arrays into it, a completion recorder and a
 * wait-for-completions loop that uses the queue's eventfd the way a sleeping worker would.
 */
final class Rig implements AutoCloseable, CompletionSink {
    final Arena arena = Arena.ofShared();
    /** Guest RAM stand-in: 4 MiB, page aligned. */
    final MemorySegment ram = arena.allocate(4 << 20, 4096);
    final int[] results = new int[4096];
    final List<Integer> order = new ArrayList<>();
    int completions;
    boolean record = true;
    /** Called with each tag as its completion arrives, before it is recorded: what the tests see at that moment. */
    java.util.function.IntConsumer atCompletion = tag -> { };

    Rig() {
        Arrays.fill(results, Integer.MIN_VALUE);
    }

    @Override
    public void complete(int tag, int result) {
        atCompletion.accept(tag);
        results[tag] = result;
        completions++;
        if (record) {
            order.add(tag);
        }
    }

    /** An iovec array of (ramOffset, length) pairs. */
    MemorySegment iovecs(long... offsetLengthPairs) {
        MemorySegment iov = arena.allocate(IoVecLayout.SIZE * (offsetLengthPairs.length / 2), 8);
        for (int i = 0; i < offsetLengthPairs.length / 2; i++) {
            IoVecLayout.set(iov, i, ram.address() + offsetLengthPairs[2 * i], offsetLengthPairs[2 * i + 1]);
        }
        return iov;
    }

    /** Submits, then reaps until {@code q.inFlight()} is 0 (polling; fails after 10 s). */
    void drain(BlockQueue q) {
        int rc = q.submit();
        assertTrue(rc >= 0, "submit: " + rc);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (q.inFlight() > 0) {
            q.reap(this);
            assertTrue(System.nanoTime() < deadline, "requests still in flight after 10 s: " + q.inFlight());
        }
    }

    /** Prepares and completes one request, returning its result. */
    int read(BlockQueue q, int tag, long diskOffset, MemorySegment iov, long bytes) {
        assertEquals(0, q.prepareRead(tag, diskOffset, iov, (int) (iov.byteSize() / IoVecLayout.SIZE), bytes));
        drain(q);
        return results[tag];
    }

    int write(BlockQueue q, int tag, long diskOffset, MemorySegment iov, long bytes) {
        assertEquals(0, q.prepareWrite(tag, diskOffset, iov, (int) (iov.byteSize() / IoVecLayout.SIZE), bytes));
        drain(q);
        return results[tag];
    }

    void fill(long ramOffset, long length, int seed) {
        for (long i = 0; i < length; i++) {
            ram.set(java.lang.foreign.ValueLayout.JAVA_BYTE, ramOffset + i, (byte) (seed + i * 31 + (i >> 9)));
        }
    }

    byte[] bytes(long ramOffset, long length) {
        return ram.asSlice(ramOffset, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    static Path image(Path dir, String name, long sizeBytes) {
        try {
            Path p = dir.resolve(name);
            Files.write(p, new byte[0]);
            try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(sizeBytes);
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {0}), sizeBytes - 1);
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] fileBytes(Path p, long offset, int length) {
        try {
            byte[] all = Files.readAllBytes(p);
            return Arrays.copyOfRange(all, (int) offset, (int) offset + length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
