package io.vireo.nativeaccel;

import io.vireo.sys.Errno;
import io.vireo.sys.Kvm;
import io.vireo.sys.KvmRunLayout;
import io.vireo.sys.Libc;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The vCPU thread of a test: prepares itself for kicks, then runs KVM_RUN once per {@link #go()} and reports how
 * each run ended. A real platform thread, since the kick targets a pthread.
 */
final class VcpuRunner implements AutoCloseable {

    /** How one KVM_RUN ended. */
    record Result(long rc, int exitReason, boolean kickSentBeforeReturn, int signalsAcknowledged) {
    }

    private final SpinningGuest guest;
    private final BlockingQueue<Boolean> commands = new ArrayBlockingQueue<>(1);
    private final BlockingQueue<Result> results = new ArrayBlockingQueue<>(1);
    private final CompletableFuture<Long> handle = new CompletableFuture<>();
    private final Thread thread;
    /** Set by the test right before it kicks: a run that returns without it returned for another reason. */
    volatile boolean kickSent;

    VcpuRunner(final SpinningGuest guest) {
        this.guest = guest;
        this.thread = Thread.ofPlatform().name("test-vcpu").daemon().start(this::loop);
    }

    /** @return the pthread handle, once the thread has prepared itself */
    long handle() throws Exception {
        return handle.get(10, TimeUnit.SECONDS);
    }

    /** Starts one KVM_RUN (kickSent is cleared first). */
    void go() throws InterruptedException {
        kickSent = false;
        commands.put(Boolean.TRUE);
    }

    /** @return how the run ended, or null if it did not end within the timeout */
    Result awaitResult(final long timeoutMs) throws InterruptedException {
        return results.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    private void loop() {
        try {
            handle.complete(VcpuKick.prepareCurrentThread(guest.vcpuFd));
            while (commands.take()) {
                final long rc = Libc.ioctlRaw(guest.vcpuFd, Kvm.KVM_RUN, 0);
                final boolean kicked = kickSent;
                final int reason = KvmRunLayout.exitReason(guest.run);
                final int acknowledged = rc == -Errno.EINTR ? VcpuKick.acknowledge(guest.run) : 0;
                results.put(new Result(rc, reason, kicked, acknowledged));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            handle.completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        commands.offer(Boolean.FALSE);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
