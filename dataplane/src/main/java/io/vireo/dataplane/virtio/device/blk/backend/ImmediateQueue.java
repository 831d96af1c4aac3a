package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.Errno;

/**
 * Base of the queues whose requests are finished by the time prepare returns (positional I/O, null): results wait
 * in a {@link CompletionRing} for {@link #reap}; {@link #submit()} has nothing to hand over and makes no call.
 */
abstract class ImmediateQueue implements BlockQueue {
    private final int depth;
    private final CompletionRing done;
    private final boolean[] busy;
    private int prepared;

    ImmediateQueue(int depth) {
        if (depth < 1 || depth > 32768) {
            throw new IllegalArgumentException("queue depth must be 1..32768, not " + depth);
        }
        this.depth = depth;
        this.done = new CompletionRing(depth);
        this.busy = new boolean[depth];
    }

    /** 0 when {@code tag} may start a request, else the errno to refuse it with (negative). */
    final int admit(int tag) {
        if (done.size() >= depth) {
            return -Errno.EAGAIN;
        }
        if (tag < 0 || tag >= depth) {
            return -Errno.EINVAL;
        }
        if (busy[tag]) {
            return -Errno.EBUSY;
        }
        return 0;
    }

    /** Records the result of an admitted request; always returns 0 (the prepare's own result). */
    final int finished(int tag, int result) {
        busy[tag] = true;
        done.add(tag, result);
        prepared++;
        return 0;
    }

    @Override
    public int submit() {
        int n = prepared;
        prepared = 0;
        return n;
    }

    @Override
    public int reap(CompletionSink sink) {
        return done.drain(sink, busy);
    }

    @Override
    public int inFlight() {
        return done.size();
    }

    @Override
    public int completionEventFd() {
        return -1;
    }
}
