package io.vireo.dataplane.agent;

import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.sys.EpollEventLayout;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;

import org.jctools.queues.MpscArrayQueue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The one thread that runs a virtio device: it sleeps in epoll on one eventfd per queue (the VMM
 * registers each as the KVM ioeventfd of that queue's notify address, so a guest kick never leaves
 * the kernel) and on a command eventfd. Other threads reach the device only through
 * {@link #submitAndWait} (activate, reset: the MPSC command queue, applied between batches) or
 * {@link #kick} — so the device and its queues have a single writer and the notify path takes no lock.
 *
 * <p>This is the event-driven first cut; the polling agent of the data plane replaces the epoll wait
 * with a bounded spin on the avail rings.
 */
public final class DeviceWorker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DeviceWorker.class.getName());
    private static final long COMMAND = -1;
    private static final int MAX_EVENTS = 16;

    private final VirtioDevice device;
    private final int epfd;
    private final int commandFd;
    private final int[] queueFds;
    private final MpscArrayQueue<Runnable> commands = new MpscArrayQueue<>(64);
    private final Thread thread;
    private volatile boolean running = true;
    private long kicks;

    public DeviceWorker(VirtioDevice device, String name) {
        this.device = device;
        this.epfd = Libc.epollCreate1(Libc.EPOLL_CLOEXEC);
        this.commandFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, commandFd, Libc.EPOLLIN, COMMAND);
        this.queueFds = new int[device.queueCount()];
        for (int q = 0; q < queueFds.length; q++) {
            queueFds[q] = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, queueFds[q], Libc.EPOLLIN, q);
        }
        this.thread = Thread.ofPlatform().name(name).daemon(true).start(this::run);
    }

    public int queueCount() {
        return queueFds.length;
    }

    /** The eventfd a notify of queue {@code q} signals: register it as the KVM ioeventfd. */
    public int queueEventFd(int q) {
        return queueFds[q];
    }

    /** Signals queue {@code q} as a guest notify would (the notify write reached user space). Any thread. */
    public void kick(int q) {
        if (q >= 0 && q < queueFds.length) {
            signal(queueFds[q]);
        }
    }

    /** Runs {@code command} on the worker between batches and waits for it. Control path only. */
    public void submitAndWait(Runnable command) {
        if (Thread.currentThread() == thread) {
            command.run();
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        while (!commands.offer(() -> {
            try {
                command.run();
                done.complete(null);
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        })) {
            Thread.onSpinWait();
        }
        signal(commandFd);
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("device command failed", e.getCause());
        }
    }

    /** Notifies the worker handled (from ioeventfds and user-space kicks alike). Read after close. */
    public long kicks() {
        return kicks;
    }

    private static void signal(int fd) {
        MemorySegment one = ONE.get();
        Libc.writeRaw(fd, one, 8);
    }

    private static final ThreadLocal<MemorySegment> ONE = ThreadLocal.withInitial(() -> {
        MemorySegment s = Arena.global().allocate(8, 8);
        s.set(ValueLayout.JAVA_LONG, 0, 1L);
        return s;
    });

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(EpollEventLayout.SIZE * MAX_EVENTS, 8);
            MemorySegment counter = arena.allocate(8, 8);
            while (running) {
                int n = Libc.epollWait(epfd, events, MAX_EVENTS, -1);
                for (int i = 0; i < n; i++) {
                    long data = events.get(ValueLayout.JAVA_LONG_UNALIGNED,
                        i * EpollEventLayout.SIZE + EpollEventLayout.DATA_OFFSET);
                    if (data == COMMAND) {
                        Libc.readRaw(commandFd, counter, 8);
                        drainCommands();
                    } else {
                        // Reading the eventfd clears it before we look at the ring: a kick that lands
                        // after this read re-arms epoll, so none is lost.
                        long r = Libc.readRaw(queueFds[(int) data], counter, 8);
                        if (r == 8) {
                            kicks += counter.get(ValueLayout.JAVA_LONG, 0);
                            device.processQueue((int) data);
                        } else if (r != -Errno.EAGAIN) {
                            LOG.log(System.Logger.Level.WARNING, "queue eventfd read failed: " + Errno.name((int) -r));
                        }
                    }
                }
                drainCommands();
            }
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "device worker " + thread.getName() + " stopped", e);
        }
    }

    private void drainCommands() {
        Runnable c;
        while ((c = commands.poll()) != null) {
            c.run();
        }
    }

    @Override
    public void close() {
        if (!running) {
            return;
        }
        submitAndWait(() -> running = false);
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int fd : queueFds) {
            Libc.closeQuietly(fd);
        }
        Libc.closeQuietly(commandFd);
        Libc.closeQuietly(epfd);
    }
}
