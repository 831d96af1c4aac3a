package io.vireo.dataplane.agent;

import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.StatsSink;

import org.agrona.BufferUtil;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.DistinctErrorLog;
import org.agrona.concurrent.errors.ErrorLogReader;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The set of {@link QueueAgent}s serving every polled queue of a machine, and the threads that run them. Threading is
 * configuration ({@link Threads}): an agent per queue, per device, or one for everything; agents may be pinned to
 * CPUs (round-robin over the given list). Each agent runs on its own platform thread under an agrona
 * {@link AgentRunner} with a busy-spin idle strategy: the agent itself decides when to stop spinning and sleep.
 *
 * <p>An exception out of a duty cycle is a bug, not guest input (guest faults are statuses and NEEDS_RESET): the
 * runner counts it in the agent's error counter (an agrona {@link AtomicCounter}), it is recorded in a
 * {@link DistinctErrorLog} (each distinct stack trace once, with its count and first and last time), logged the first
 * time it is seen, and the agent goes on serving.
 */
public final class DataPlane implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DataPlane.class.getName());
    private static final int ERROR_LOG_BYTES = 64 * 1024;

    /** How queues map to agents (threads). */
    public enum Threads {
        /** One agent per virtqueue. */
        PER_QUEUE,
        /** One agent per device, serving all its queues (the default). */
        PER_DEVICE,
        /** One agent for every queue of every device. */
        SHARED;

        /** Parses {@code queue|device|shared}. */
        public static Threads parse(String text) {
            return switch (text) {
                case "queue" -> PER_QUEUE;
                case "device" -> PER_DEVICE;
                case "shared" -> SHARED;
                default -> throw new IllegalArgumentException("io threads must be queue, device or shared: " + text);
            };
        }
    }

    private final Threads threads;
    private final int[] cpus;
    private final Map<String, QueueAgent> agents = new LinkedHashMap<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    /** The agent each runner runs, index for index with {@link #runners} and {@link #errorCounters}. */
    private final List<QueueAgent> runnerAgents = new ArrayList<>();
    private final List<AtomicCounter> errorCounters = new ArrayList<>();
    private final UnsafeBuffer errorLogBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(ERROR_LOG_BYTES, 64));
    private final DistinctErrorLog errorLog = new DistinctErrorLog(errorLogBuffer, SystemEpochClock.INSTANCE);
    private final CountersFile counters;
    private boolean started;
    private boolean closed;

    /** @param cpus CPUs to pin agents to, round-robin; empty for no pinning */
    public DataPlane(Threads threads, int[] cpus) {
        this(threads, cpus, null);
    }

    /** @param counters where the agents' counters live; null for counters of their own */
    public DataPlane(Threads threads, int[] cpus, CountersFile counters) {
        this.counters = counters;
        this.threads = threads;
        this.cpus = cpus.clone();
    }

    public Threads threads() {
        return threads;
    }

    /**
     * Assigns each queue of a device to an agent, creating agents as the threading mode needs. With a shared agent the
     * first device's poll budget is used. Before {@link #start()} only.
     *
     * @return the owner of each queue
     */
    public QueueAgent[] place(String deviceName, PolledQueue[] queues, long pollBudgetNs) {
        if (started) {
            throw new IllegalStateException("data plane already started");
        }
        QueueAgent[] owners = new QueueAgent[queues.length];
        for (int q = 0; q < queues.length; q++) {
            String key = key(deviceName, q);
            QueueAgent agent = agents.computeIfAbsent(key, k -> new QueueAgent(k, pollBudgetNs,
                cpus.length == 0 ? -1 : cpus[agents.size() % cpus.length], counters));
            agent.add(queues[q]);
            owners[q] = agent;
        }
        return owners;
    }

    /**
     * As {@link #place}, on a data plane that may be running (a hot-added device): an agent the threading mode already
     * has takes the queues on its thread ({@link QueueAgent#addLive}); a new one (per device, per queue) starts its own
     * thread at once.
     */
    public synchronized QueueAgent[] placeLive(String deviceName, PolledQueue[] queues, long pollBudgetNs) {
        if (!started) {
            return place(deviceName, queues, pollBudgetNs);
        }
        if (closed) {
            throw new IllegalStateException("data plane closed");
        }
        QueueAgent[] owners = new QueueAgent[queues.length];
        List<QueueAgent> fresh = new ArrayList<>();
        for (int q = 0; q < queues.length; q++) {
            String key = key(deviceName, q);
            QueueAgent agent = agents.get(key);
            if (agent == null) {
                // Counters of its own: the counters file was sized for the devices at boot.
                agent = new QueueAgent(key, pollBudgetNs, cpus.length == 0 ? -1 : cpus[agents.size() % cpus.length]);
                agents.put(key, agent);
                fresh.add(agent);
            }
            if (fresh.contains(agent)) {
                agent.add(queues[q]);
            } else {
                agent.addLive(queues[q]);
            }
            owners[q] = agent;
        }
        for (QueueAgent agent : fresh) {
            CountersManager errorCounterSet = new CountersManager(
                new UnsafeBuffer(BufferUtil.allocateDirectAligned(CountersManager.METADATA_LENGTH, 64)),
                new UnsafeBuffer(BufferUtil.allocateDirectAligned(CountersManager.COUNTER_LENGTH, 64)));
            startAgent(agent, errorCounterSet);
        }
        return owners;
    }

    /**
     * Takes a removed device's queues off their agents ({@link QueueAgent#removeLive}); an agent left with no queue
     * that was the device's own (per device, per queue) is stopped and its thread joined. Reset the queues first.
     */
    public synchronized void removeLive(String deviceName, PolledQueue[] queues, QueueAgent[] owners) {
        for (int q = 0; q < queues.length; q++) {
            owners[q].removeLive(queues[q]);
        }
        if (threads == Threads.SHARED) {
            return;
        }
        for (int q = 0; q < queues.length; q++) {
            String key = key(deviceName, q);
            QueueAgent agent = agents.get(key);
            if (agent == owners[q] && agent.queueCount() == 0) {
                agents.remove(key);
                int i = runnerAgents.indexOf(agent);
                if (i >= 0) {
                    runnerAgents.remove(i);
                    errorCounters.remove(i);
                    agent.requestStop();
                    runners.remove(i).close(1000, thread -> LOG.log(Level.WARNING, "queue agent thread "
                        + thread.getName() + " did not stop"));
                }
            }
        }
    }

    private String key(String deviceName, int q) {
        return switch (threads) {
            case PER_QUEUE -> deviceName + "-q" + q;
            case PER_DEVICE -> deviceName;
            case SHARED -> "io";
        };
    }

    public synchronized List<QueueAgent> agents() {
        return List.copyOf(agents.values());
    }

    /** Starts one thread per agent. */
    public synchronized void start() {
        started = true;
        int n = Math.max(agents.size(), 1);
        CountersManager errorCounterSet = new CountersManager(
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(n * CountersManager.METADATA_LENGTH, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(n * CountersManager.COUNTER_LENGTH, 64)));
        for (QueueAgent agent : agents.values()) {
            startAgent(agent, errorCounterSet);
        }
    }

    private void startAgent(QueueAgent agent, CountersManager errorCounterSet) {
        ErrorHandler onError = this::onError;
        AtomicCounter errorCounter = errorCounterSet.newCounter("queue agent errors: " + agent.roleName());
        errorCounters.add(errorCounter);
        AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), onError, errorCounter, agent);
        AgentRunner.startOnThread(runner, r -> Thread.ofPlatform().name("vireo-io-" + agent.roleName())
            .daemon(true).unstarted(r));
        runners.add(runner);
        runnerAgents.add(agent);
    }

    /** The runner's error handler (on the agent's thread, after it counted the error). */
    private void onError(Throwable t) {
        if (t instanceof AgentTerminationException) {
            return;
        }
        int before = distinctErrors();
        if (!errorLog.record(t)) {
            LOG.log(Level.ERROR, "queue agent error (the distinct error log is full)", t);
        } else if (distinctErrors() > before) {
            LOG.log(Level.ERROR, "queue agent error (logged once; repeats are counted in agent_errors)", t);
        }
    }

    /** Distinct errors recorded so far (any thread). */
    public int distinctErrors() {
        return ErrorLogReader.read(errorLogBuffer, (count, first, last, text) -> { });
    }

    /** Errors thrown out of duty cycles so far, summed over agents (any thread). */
    public long errors() {
        long sum = 0;
        for (AtomicCounter c : errorCounters) {
            sum += c.get();
        }
        return sum;
    }

    /** Agent counters, summed over agents. */
    public synchronized void report(StatsSink sink) {
        List<Counters<AgentCounter>> all = new ArrayList<>(agents.size());
        for (QueueAgent a : agents.values()) {
            all.add(a.counters());
        }
        Counters.reportSum(AgentCounter.class, sink, all);
        sink.counter("agents", agents.size());
        sink.counter("agent_errors", errors());
        sink.counter("agent_distinct_errors", distinctErrors());
    }

    /**
     * Pauses every agent ({@link QueueAgent#pause}): each finishes the requests it holds, then parks. With the guest
     * stopped first, no request is left half served. Returns the requests still in flight after {@code timeoutNs}
     * (they complete after {@link #resume}), 0 normally.
     */
    public synchronized int pause(long timeoutNs) {
        int inFlight = 0;
        for (QueueAgent agent : agents.values()) {
            inFlight += agent.pause(timeoutNs);
        }
        return inFlight;
    }

    /** Restarts every agent {@link #pause} parked. */
    public synchronized void resume() {
        for (QueueAgent agent : agents.values()) {
            agent.resume();
        }
    }

    /** Stops every agent and joins its thread; the queues are no longer served. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (QueueAgent agent : agents.values()) {
            agent.requestStop();
        }
        for (AgentRunner runner : runners) {
            runner.close(1000, thread -> LOG.log(Level.WARNING, "queue agent thread " + thread.getName()
                + " did not stop"));
        }
        runners.clear();
    }
}
