package io.vireo.dataplane.agent;

import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.StatsSink;
import io.vireo.dataplane.stats.StatsSource;
import io.vireo.sys.Libc;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A busy-polling virtqueue worker: an agrona {@link Agent} whose duty cycle reads the clock once, drains a bounded
 * batch of control commands, polls every owned queue ({@link PolledQueue#poll}: reap, pop, submit, publish, interrupt),
 * and returns the work done. While idle it spins ({@code Thread.onSpinWait()} through the runner's idle strategy) for
 * at most the {@link PollBudget} after the last work, a budget that adapts to the gaps between requests (two of them:
 * one for the gaps that follow an interrupt to the guest, which an interrupt-driven guest's next request must cross,
 * and one for the others, a polling guest's or a burst's); then it
 * re-arms the guest's notifications (and the back ends' completion eventfds) on every queue, re-checks the rings (the
 * fence that closes the race is in {@link PolledQueue#armNotifications}), and sleeps ({@link AgentSleeper}: epoll on
 * the queues' kick eventfds, the KVM ioeventfds, their completion eventfds and a wake eventfd). While it polls, the
 * guest is asked not to kick and the back ends not to signal, so a busy queue costs no VM exit and no wake-up at all.
 *
 * <p>Single writer: the queues are touched only by this agent's thread. Other threads (vCPUs writing transport
 * registers, the VMM) reach them through {@link #submitAndWait} (a JCTools MPSC queue plus a wake-up of a sleeping
 * agent); the duty cycle takes no lock and allocates nothing. The clock and the sleep are injected, so tests drive
 * {@link #doWork()} by hand.
 */
public final class QueueAgent implements Agent, StatsSource {
    /** Commands run per duty cycle at most: control traffic cannot starve the queues. */
    public static final int COMMAND_BATCH = 16;
    private static final long COMMAND_TIMEOUT_SECONDS = 30;
    /**
     * The longest sleep while requests are in flight. Their completion eventfd wakes the agent; the bound only covers
     * a signal lost to the race between re-enabling it and a completion being posted (io_uring's CQ flags).
     */
    static final int IN_FLIGHT_SLEEP_MS = 1;

    private final String name;
    private final PollBudget budget;
    /** The budget for the gap after work that interrupted the guest (see {@link PolledQueue#takeInterrupted}). */
    private final PollBudget afterInterrupt;
    /** The budget of the current idle stretch: one of the two. */
    private PollBudget gapBudget;
    private final int cpu;
    private final NanoClock clock;
    private final AgentSleeper sleeper;
    private final AgentSleeper.Signals onSignal = this::signalled;
    private final List<PolledQueue> added = new ArrayList<>();
    private PolledQueue[] queues = new PolledQueue[0];
    private final MpscVarHandleArrayQueue<Runnable> commands = new MpscVarHandleArrayQueue<>(256);

    private volatile Thread thread;
    private volatile boolean stopRequested;
    /** Set by {@link #pause}, cleared by {@link #resume}. */
    private volatile boolean pauseRequested;
    /** Resumes so far: a parked agent leaves when it moves (a resume followed at once by a pause is not missed). */
    private volatile long resumes;
    private volatile boolean terminated;
    /** When the last work ended: the start of the first idle cycle after it. */
    private long lastWorkNs;
    /** Since the last work: an idle cycle passed (a gap to report), the agent slept. */
    private boolean idle;
    /** The previous duty cycle found work. */
    private boolean worked;
    private boolean slept;
    /** Start of the previous duty cycle, and whether it only spun (its time counts as IDLE_POLL_NS). */
    private long cycleNs;
    private boolean spun;

    // Counters (agent thread; monitoring reads from elsewhere are racy by design).
    private final Counters<AgentCounter> counters;

    /**
     * An agent on the system clock that sleeps in epoll.
     *
     * @param maxPollNs the most it polls after the last work before sleeping (the adaptive budget's bound); 0 = sleep
     *                  at once (event mode)
     * @param cpu       CPU to pin the agent's thread to, or -1 for none
     */
    public QueueAgent(String name, long maxPollNs, int cpu) {
        this(name, maxPollNs, cpu, null);
    }

    /** @param file where the agent's counters live; null for counters of its own */
    public QueueAgent(String name, long maxPollNs, int cpu, CountersFile file) {
        this(name, new PollBudget(maxPollNs), cpu, SystemNanoClock.INSTANCE, new EpollSleeper(name), file);
    }

    /** With the clock and the sleep given (tests: a hand-moved clock and a scripted sleeper). */
    public QueueAgent(String name, PollBudget budget, int cpu, NanoClock clock, AgentSleeper sleeper) {
        this(name, budget, cpu, clock, sleeper, null);
    }

    private QueueAgent(String name, PollBudget budget, int cpu, NanoClock clock, AgentSleeper sleeper,
        CountersFile file) {
        this.counters = file == null ? new Counters<>(AgentCounter.class)
            : file.counters(AgentCounter.class, "agent." + name, CountersFile.TYPE_AGENT);
        this.name = name;
        this.budget = budget;
        this.afterInterrupt = new PollBudget(budget.maxNs());
        this.gapBudget = budget;
        this.cpu = cpu;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** Gives {@code queue} to this agent. Before the agent starts only. */
    public void add(PolledQueue queue) {
        if (thread != null) {
            throw new IllegalStateException("agent " + name + " already started");
        }
        added.add(queue);
        queues = added.toArray(new PolledQueue[0]);
        sleeper.watch(queue.kickEventFd());
        int cfd = queue.completionEventFd();
        if (cfd >= 0) {
            sleeper.watch(cfd);
        }
        int rfd = queue.readinessFd();
        if (rfd >= 0) {
            sleeper.watchReadiness(rfd);
        }
    }

    /**
     * Gives {@code queue} to this agent while it may be running (a hot-added device): on the agent's thread, between
     * duty cycles, so the queue array the duty cycle reads is replaced whole. Before the agent starts, as {@link #add}.
     */
    public void addLive(PolledQueue queue) {
        submitAndWait(() -> {
            added.add(queue);
            queues = added.toArray(new PolledQueue[0]);
            sleeper.watch(queue.kickEventFd());
            if (queue.completionEventFd() >= 0) {
                sleeper.watch(queue.completionEventFd());
            }
        });
    }

    /**
     * Takes {@code queue} away from this agent (a hot-removed device), on its thread: after this returns the agent
     * never touches the queue or its eventfds again, and the caller may close them. Reset the queue first: requests
     * still in flight are the caller's to have finished. Returns false if the agent did not serve it.
     */
    public boolean removeLive(PolledQueue queue) {
        boolean[] removed = new boolean[1];
        submitAndWait(() -> {
            removed[0] = added.remove(queue);
            if (removed[0]) {
                queues = added.toArray(new PolledQueue[0]);
                sleeper.unwatch(queue.kickEventFd());
                if (queue.completionEventFd() >= 0) {
                    sleeper.unwatch(queue.completionEventFd());
                }
            }
        });
        return removed[0];
    }

    /**
     * Adds a kick eventfd the agent did not own at start (a vhost-user front end's) to the set it sleeps on. Any
     * thread: epoll_ctl is safe while the agent waits, and a kick already pending wakes it at once.
     */
    public void watchKick(int fd) {
        sleeper.watch(fd);
    }

    /**
     * Removes a kick eventfd added by {@link #watchKick}. Call it on the agent's thread ({@link #submitAndWait}), so
     * no read of the fd is under way; the caller may close the fd afterwards. Returns false if it was not watched.
     */
    public boolean unwatchKick(int fd) {
        return sleeper.unwatch(fd);
    }

    /** The bound of the adaptive poll budget. */
    public long pollBudgetNs() {
        return budget.maxNs();
    }

    /** The adaptive poll budget for gaps after an interrupt to the guest (agent thread; read racily elsewhere). */
    public PollBudget pollBudgetAfterInterrupt() {
        return afterInterrupt;
    }

    /** The adaptive poll budget (owned by the agent's thread; read racily elsewhere). */
    public PollBudget pollBudget() {
        return budget;
    }

    public int queueCount() {
        return queues.length;
    }

    @Override
    public String roleName() {
        return name;
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
    public void onStart() {
        thread = Thread.currentThread();
        if (cpu >= 0) {
            long[] mask = new long[cpu / 64 + 1];
            mask[cpu / 64] = 1L << (cpu % 64);
            try {
                Libc.schedSetaffinity(0, mask);
            } catch (RuntimeException e) {
                System.getLogger(QueueAgent.class.getName()).log(System.Logger.Level.WARNING,
                    "agent " + name + ": cannot pin to CPU " + cpu + ": " + e.getMessage());
            }
        }
        lastWorkNs = clock.nanoTime();
        cycleNs = lastWorkNs;
    }

    @Override
    public int doWork() {
        long now = clock.nanoTime();
        if (spun) {
            counters.add(AgentCounter.IDLE_POLL_NS, now - cycleNs);
        }
        cycleNs = now;
        spun = false;
        counters.increment(AgentCounter.DUTY_CYCLES);
        int work = drainCommands();
        if (stopRequested) {
            throw new AgentTerminationException();
        }
        PolledQueue[] qs = queues;
        for (PolledQueue q : qs) {
            work += q.poll();
        }
        if (work > 0) {
            counters.increment(AgentCounter.POLLS_WITH_WORK);
            if (idle) {
                counters.increment(gapBudget.onWork(now - lastWorkNs, slept));
                idle = false;
                slept = false;
            }
            lastWorkNs = now;
            worked = true;
            return work;
        }
        if (worked) {
            // The idle stretch starts where the work ended, not where the cycle that did it began: a slow cycle (the
            // data plane still interpreted, the first ms of a VM) must not use up the budget and put the agent to
            // sleep just before the guest's next request, which would then pay a kick and a wake-up.
            worked = false;
            lastWorkNs = now;
            // An interrupt-driven guest's next request comes an interrupt round trip later (tens of µs on a fast host,
            // far more nested): whether polling bridges that is learnt apart from the short gaps of a polling guest or
            // of a burst, which would otherwise keep the budget up and have the agent spin after every burst for
            // nothing where the round trip is out of reach.
            boolean interrupted = false;
            for (PolledQueue q : qs) {
                interrupted |= q.takeInterrupted();
            }
            gapBudget = interrupted ? afterInterrupt : budget;
        }
        idle = true;
        if (now - lastWorkNs < gapBudget.ns()) {
            spun = true;
            return 0;
        }
        return sleep(qs);
    }

    /** Re-arms notifications, re-checks, and sleeps; returns 1 (the wake-up counts as work for the idle strategy). */
    private int sleep(PolledQueue[] qs) {
        boolean pending = false;
        int inFlight = 0;
        for (PolledQueue q : qs) {
            pending |= q.armNotifications();
            inFlight += q.inFlight();
        }
        if (pending || !commands.isEmpty() || stopRequested) {
            counters.increment(AgentCounter.EARLY_WAKES);
        } else {
            counters.increment(AgentCounter.IDLE_SLEEPS);
            slept = true;
            if (sleeper.await(onSignal, inFlight > 0 ? IN_FLIGHT_SLEEP_MS : -1) == 0) {
                counters.increment(AgentCounter.TIMED_WAKES);
            }
        }
        for (PolledQueue q : qs) {
            q.suppressNotifications();
        }
        return 1;
    }

    private void signalled(int fd, long count) {
        for (PolledQueue q : queues) {
            if (q.completionEventFd() == fd || q.readinessFd() == fd) {
                counters.increment(AgentCounter.COMPLETION_WAKES);
                return;
            }
        }
        counters.add(AgentCounter.KICKS, count);
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
     * Queues {@code command} to run on the agent's thread between duty cycles, without waiting, and wakes the agent.
     * Returns false when the command queue is full.
     */
    public boolean offer(Runnable command) {
        if (!commands.offer(command)) {
            return false;
        }
        wake();
        return true;
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
        while (!offer(() -> {
            try {
                command.run();
                done.complete(null);
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        })) {
            Thread.onSpinWait();
        }
        await(done);
    }

    /** The command's result; null when this thread is interrupted meanwhile (its flag is set again). */
    private <T> T await(CompletableFuture<T> done) {
        try {
            return done.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("queue agent " + name + ": command failed", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("queue agent " + name + " did not answer in " + COMMAND_TIMEOUT_SECONDS
                + " s", e);
        }
    }

    /** Wakes the agent if it sleeps (any thread; one eventfd write). */
    public void wake() {
        sleeper.wake();
    }

    /** Asks the duty cycle to end (it throws AgentTerminationException at its next command check). */
    public void requestStop() {
        stopRequested = true;
        wake();
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t); // a paused agent stops too
        }
    }

    /**
     * Stops serving: on the agent's thread, serves what the queues hold until nothing is left to pop and no request is
     * in flight (every request the guest made before its vCPUs stopped completes and is published), then parks the
     * thread until {@link #resume}. Returns once the agent is parked, or after {@code timeoutNs} with requests still in
     * flight (they stay with the back end and are reaped after the resume: none is lost). Call it with the guest's
     * vCPUs stopped, from another thread (before the agent has started there is nothing to stop).
     *
     * @return requests still in flight when the agent parked (0 normally)
     */
    public int pause(long timeoutNs) {
        pauseRequested = true;
        Thread t = thread;
        if (t == null || terminated) {
            return 0;
        }
        CompletableFuture<Integer> parked = new CompletableFuture<>();
        while (!offer(() -> drainAndPark(parked, timeoutNs))) {
            Thread.onSpinWait();
        }
        Integer left = await(parked);
        if (left == null) {
            throw new IllegalStateException("interrupted while pausing queue agent " + name);
        }
        return left;
    }

    /** Ends a {@link #pause}: the agent's duty cycle goes on where it stopped. Any thread. */
    public void resume() {
        pauseRequested = false;
        // One writer (the machine's control thread: pause and resume come one at a time). ORDERING: the volatile
        // write comes before the unpark, and the parked thread re-reads it after waking.
        resumes++;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Whether the agent is paused, or asked to pause. */
    public boolean paused() {
        return pauseRequested;
    }

    /** The pause command, on the agent's thread: finish the queues' work, report, park until resumed or stopped. */
    private void drainAndPark(CompletableFuture<Integer> parked, long timeoutNs) {
        // Read before pause() can return (it waits for `parked`), so before the resume that ends this pause.
        long resumed = resumes;
        long deadline = clock.nanoTime() + timeoutNs;
        int inFlight;
        while (true) {
            int work = 0;
            inFlight = 0;
            for (PolledQueue q : queues) {
                work += q.poll();
                inFlight += q.inFlight();
            }
            if (work == 0 && inFlight == 0 || clock.nanoTime() - deadline > 0) {
                break;
            }
            if (work == 0) {
                Thread.onSpinWait();
            }
        }
        counters.increment(AgentCounter.PAUSES);
        parked.complete(inFlight);
        while (resumes == resumed && !stopRequested) {
            LockSupport.park(this);
        }
    }

    @Override
    public void onClose() {
        terminated = true;
        sleeper.close();
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
