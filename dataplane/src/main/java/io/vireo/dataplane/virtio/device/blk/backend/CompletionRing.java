package io.vireo.dataplane.virtio.device.blk.backend;

/**
 * Completions that are known before {@link BlockQueue#submit()} returns (synchronous, null and injected-fault
 * requests), kept until {@link BlockQueue#reap}: a fixed ring of (tag, result) pairs, one thread, no allocation.
 */
final class CompletionRing {
    private final int[] tags;
    private final int[] results;
    private final int mask;
    private final int capacity;
    private int head;
    private int tail;

    CompletionRing(int capacity) {
        // A power of two, so a slot is an AND, not a division; size() still bounds what is added.
        int slots = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
        tags = new int[slots];
        results = new int[slots];
        mask = slots - 1;
        this.capacity = capacity;
    }

    int size() {
        return tail - head;
    }

    boolean full() {
        return tail - head == capacity;
    }

    void add(int tag, int result) {
        int i = tail & mask;
        tags[i] = tag;
        results[i] = result;
        tail++;
    }

    /** Reports and forgets every completion, clearing each tag's {@code busy} flag first; returns how many. */
    int drain(CompletionSink sink, boolean[] busy) {
        int n = 0;
        // One bound read up front: completions the sink adds (a re-prepared tag) wait for the next reap.
        int end = tail;
        while (head != end) {
            int i = head & mask;
            head++;
            n++;
            busy[tags[i]] = false;
            sink.complete(tags[i], results[i]);
        }
        return n;
    }
}
