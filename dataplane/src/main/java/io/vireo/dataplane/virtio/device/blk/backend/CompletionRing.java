package io.vireo.dataplane.virtio.device.blk.backend;

/**
 * Completions that are known before {@link BlockQueue#submit()} returns (synchronous, null and injected-fault
 * requests), kept until {@link BlockQueue#reap}: a fixed ring of (tag, result) pairs, one thread, no allocation.
 */
final class CompletionRing {
    private final int[] tags;
    private final int[] results;
    private int head;
    private int tail;

    CompletionRing(int capacity) {
        tags = new int[capacity];
        results = new int[capacity];
    }

    int size() {
        return tail - head;
    }

    boolean full() {
        return tail - head == tags.length;
    }

    void add(int tag, int result) {
        int i = Math.floorMod(tail, tags.length);
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
            int i = Math.floorMod(head, tags.length);
            head++;
            n++;
            busy[tags[i]] = false;
            sink.complete(tags[i], results[i]);
        }
        return n;
    }
}
