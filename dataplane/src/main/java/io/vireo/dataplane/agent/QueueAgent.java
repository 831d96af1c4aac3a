package io.vireo.dataplane.agent;

import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.StatsSink;
import io.vireo.dataplane.stats.StatsSource;
import io.vireo.sys.EpollEventLayout;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A busy-polling virtqueue worker: an agrona {@link Agent} whose duty cycle drains a bounded batch of control
 * commands, polls every owned queue ({@link PolledQueue#poll}: reap, pop, submit, publish, interrupt), and returns the
 * work done. While idle it spins ({@code Thread.onSpinWait()} through the runner's idle strategy) for at most the
 * poll budget after the last work; then it re-arms the guest's notifications on every queue, re-checks the rings (the
 * fence that closes the race is in {@link PolledQueue#armNotifications}), and sleeps in epoll on the queues' kick
 * eventfds (the KVM ioeventfds), their back ends' completion eventfds and its own command eventfd. While it polls,
 * the guest is asked not to kick, so a busy queue costs no VM exit at all.
 *
 * <p>Single writer: the queues are touched only by this agent's thread. Other threads (vCPUs writing transport
 * registers, the VMM) reach them through {@link #submitAndWait} (a JCTools MPSC queue plus an eventfd write to wake
 * a sleeping agent); the duty cycle takes no lock and allocates nothing.
 */
public final class QueueAgent implements Agent, StatsSource {
    private static final System.Logger LOG = System.getLogger(QueueAgent.class.getName());
    private static final int MAX_EVENTS = 64;
    private static final int COMMAND_BATCH = 16;
    private static final long COMMAND_TIMEOUT_SECONDS = 30;
    /** The first step of a poll budget that grows again from 0. */
    private static final long MIN_POLL_NS = 4_000;

    private final String name;
    private final long pollBudgetNs;
    private final int cpu;
    private final List<PolledQueue> added = new ArrayList<>();
    private PolledQueue[] queues = new PolledQueue[0];
    private final MpscVarHandleArrayQueue<Runnable> commands = new MpscVarHandleArrayQueue<>(256);
    private final int epfd;
    private final int commandFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events = arena.allocate((long) EpollEventLayout.SIZE * MAX_EVENTS, 8);
    private final MemorySegment counter = arena.allocate(8, 8);
    private final MemorySegment one = arena.allocate(8, 8);

    private volatile Thread thread;
    private volatile boolean stopRequested;
    private volatile boolean terminated;
    private long lastWorkNs;
    /** The poll budget in use: adapted after each sleep between 0 and {@link #pollBudgetNs} ({@link #adapt}). */
    private long budgetNs;

    private long cycleNs;
    // Counters (agent thread writes; any thread, or another process through the counters file, reads).
    private final Counters<AgentCounter> counters;

    /**
     * @param pollBudgetNs the most the agent keeps polling after the last work before it sleeps (the budget in use
     *                     adapts below it, see {@link #adapt}); 0 = sleep at once (event mode)
     * @param cpu          CPU to pin the agent's thread to, or -1 for none
     */
    public QueueAgent(String name, long pollBudgetNs, int cpu) {
        this(name, pollBudgetNs, cpu, null);
    }

    /** @param file where the counters live ({@code agent.NAME.kicks}, ...); null for counters of its own */
    public QueueAgent(String name, long pollBudgetNs, int cpu, CountersFile file) {
        this.counters = file == null ? new Counters<>(AgentCounter.class)
            : file.counters(AgentCounter.class, "agent." + name, CountersFile.TYPE_AGENT);
        if (pollBudgetNs < 0) {
            throw new IllegalArgumentException("poll budget must be >= 0: " + pollBudgetNs);
        }
        this.name = name;
        this.pollBudgetNs = pollBudgetNs;
        this.budgetNs = pollBudgetNs;
        this.cpu = cpu;
        this.epfd = Libc.epollCreate1(Libc.EPOLL_CLOEXEC);
        this.commandFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, commandFd, Libc.EPOLLIN, commandFd);
    }

    /** Gives {@code queue} to this agent. Before the agent starts only. */
    public void add(PolledQueue queue) {
        if (thread != null) {
            throw new IllegalStateException("agent " + name + " already started");
        }
        added.add(queue);
        queues = added.toArray(new PolledQueue[0]);
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, queue.kickEventFd(), Libc.EPOLLIN, queue.kickEventFd());
        int cfd = queue.completionEventFd();
        if (cfd >= 0) {
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, cfd, Libc.EPOLLIN, cfd);
        }
    }

    /**
     * Adds a kick eventfd the agent did not own at start (a vhost-user front end's) to the set it sleeps on. Any
     * thread: epoll_ctl is safe while the agent waits, and a kick already pending wakes it at once.
     */
    public void watchKick(int fd) {
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN, fd);
    }

    /**
     * Removes a kick eventfd added by {@link #watchKick}. Call it on the agent's thread ({@link #submitAndWait}), so
     * no read of the fd is under way; the caller may close the fd afterwards. Returns false if it was not watched.
     */
    public boolean unwatchKick(int fd) {
        try {
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_DEL, fd, 0, 0);
            return true;
        } catch (SysException e) {
            return false;
        }
    }

    public long pollBudgetNs() {
        return pollBudgetNs;
    }

    public int queueCount() {
        return queues.length;
    }

    @Override
    public String roleName() {
        return name;
    }

    @Override
    public void onStart() {
        thread = Thread.currentThread();
        if (cpu >= 0) {
            long[] mask = new long[cpu / 64 + 1];
            mask[cpu / 64] = 1L << (cpu % 64);
            try {
                Libc.schedSetaffinity(0, mask);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "agent " + name + ": cannot pin to CPU " + cpu + ": " + e.getMessage());
            }
        }
        lastWorkNs = System.nanoTime();
        cycleNs = lastWorkNs;
    }

    /** The agent's thread once started, else null (for its CPU time). */
    public Thread thread() {
        return thread;
    }

    /** Counter {@code c} now (any thread). */
    public long counter(AgentCounter c) {
        return counters.get(c);
    }

    @Override
    public int doWork() {
        counters.increment(AgentCounter.DUTY_CYCLES);
        int work = drainCommands();
        if (stopRequested) {
            throw new AgentTerminationException();
        }
        PolledQueue[] qs = queues;
        for (PolledQueue q : qs) {
            work += q.poll();
        }
        long now = System.nanoTime();
        long spent = now - cycleNs;
        cycleNs = now;
        if (work > 0) {
            counters.increment(AgentCounter.POLLS_WITH_WORK);
            lastWorkNs = now;
            return work;
        }
        counters.add(AgentCounter.IDLE_POLL_NS, spent);
        if (now - lastWorkNs < budgetNs) {
            return 0;
        }
        return sleep(qs);
    }

    /** Re-arms notifications, re-checks, and waits in epoll; returns 1 (the wake-up counts as work). */
    private int sleep(PolledQueue[] qs) {
        boolean pending = false;
        for (PolledQueue q : qs) {
            pending |= q.armNotifications();
        }
        if (pending || !commands.isEmpty()) {
            counters.increment(AgentCounter.EARLY_WAKES);
        } else {
            counters.increment(AgentCounter.IDLE_SLEEPS);
            long sleptAt = System.nanoTime();
            int n = Libc.epollWait(epfd, events, MAX_EVENTS, -1);
            adapt(System.nanoTime() - sleptAt);
            for (int i = 0; i < n; i++) {
                int fd = (int) events.get(ValueLayout.JAVA_LONG_UNALIGNED,
                    (long) i * EpollEventLayout.SIZE + EpollEventLayout.DATA_OFFSET);
                // Reading clears the eventfd before we look at the rings: a kick after this read re-arms epoll.
                long r = Libc.readRaw(fd, counter, 8);
                if (r == 8 && fd != commandFd) {
                    if (isCompletionFd(qs, fd)) {
                        counters.increment(AgentCounter.COMPLETION_WAKES);
                    } else {
                        counters.add(AgentCounter.KICKS, counter.get(ValueLayout.JAVA_LONG, 0));
                    }
                } else if (r < 0 && r != -Errno.EAGAIN) {
                    LOG.log(Level.WARNING, "agent " + name + ": eventfd read failed: " + Errno.name((int) -r));
                }
            }
        }
        for (PolledQueue q : qs) {
            q.suppressNotifications();
        }
        lastWorkNs = System.nanoTime();
        cycleNs = lastWorkNs;
        return 1;
    }

    /**
     * Adapts the poll budget to what polling would have caught, as QEMU's event loop does with poll-max-ns: work that
     * came within the maximum budget after we slept means polling longer pays (double the budget, from 4 µs); work
     * that came later means it does not, and the spinning only takes a CPU from the vCPU that produces the next
     * request (on a host with few cores this halves throughput or worse): stop polling until it pays again.
     */
    private void adapt(long blockedNs) {
        if (blockedNs > pollBudgetNs) {
            budgetNs = 0;
        } else {
            budgetNs = Math.min(pollBudgetNs, Math.max(MIN_POLL_NS, budgetNs * 2));
        }
    }

    private static boolean isCompletionFd(PolledQueue[] qs, int fd) {
        for (PolledQueue q : qs) {
            if (q.completionEventFd() == fd) {
                return true;
            }
        }
        return false;
    }

    private int drainCommands() {
        int n = 0;
        Runnable c;
        while (n < COMMAND_BATCH && (c = commands.poll()) != null) {
            c.run();
            n++;
        }
        if (n > 0) {
            counters.add(AgentCounter.COMMANDS, n);
            // A command may have activated a queue: it starts out polled, so no kicks while we spin.
            for (PolledQueue q : queues) {
                q.suppressNotifications();
            }
        }
        return n;
    }

    /**
     * Runs {@code command} on the agent's thread between duty cycles and waits for it (control path: activate,
     * reset). Runs it inline when called on the agent's thread, or before the agent has started.
     *
     * @throws IllegalStateException when the command throws, or the agent has stopped or does not answer
     */
    public void submitAndWait(Runnable command) {
        Thread t = thread;
        if (t == null || Thread.currentThread() == t) {
            command.run();
            return;
        }
        if (terminated) {
            throw new IllegalStateException("queue agent " + name + " has stopped");
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
        wake();
        try {
            done.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("queue agent " + name + ": command failed", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("queue agent " + name + " did not answer in " + COMMAND_TIMEOUT_SECONDS
                + " s", e);
        }
    }

    /** Wakes the agent if it sleeps (any thread; one eventfd write). */
    public void wake() {
        Libc.writeRaw(commandFd, one, 8);
    }

    /** Asks the duty cycle to end (it throws AgentTerminationException at its next command check). */
    public void requestStop() {
        stopRequested = true;
        wake();
    }

    @Override
    public void onClose() {
        terminated = true;
        Libc.closeQuietly(commandFd);
        Libc.closeQuietly(epfd);
        // The arena stays open: a late wake() from another thread may still write from 'one'.
    }

    public boolean terminated() {
        return terminated;
    }

    @Override
    public void report(StatsSink sink) {
        counters.report(sink);
    }

    /** This agent's counters: written by its thread, read by any. */
    public Counters<AgentCounter> counters() {
        return counters;
    }
}
