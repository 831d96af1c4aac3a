package io.vireo.dataplane.agent;

import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.stats.StatsSink;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BusySpinIdleStrategy;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The set of {@link QueueAgent}s serving every polled queue of a machine, and the threads that run them. Threading is
 * configuration ({@link Threads}): an agent per queue, per device, or one for everything; agents may be pinned to
 * CPUs (round-robin over the given list). Each agent runs on its own platform thread under an agrona
 * {@link AgentRunner} with a busy-spin idle strategy: the agent itself decides when to stop spinning and sleep.
 */
public final class DataPlane implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DataPlane.class.getName());

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
    private final AtomicInteger errors = new AtomicInteger();
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
            String key = switch (threads) {
                case PER_QUEUE -> deviceName + "-q" + q;
                case PER_DEVICE -> deviceName;
                case SHARED -> "io";
            };
            QueueAgent agent = agents.computeIfAbsent(key, k -> new QueueAgent(k, pollBudgetNs,
                cpus.length == 0 ? -1 : cpus[agents.size() % cpus.length], counters));
            agent.add(queues[q]);
            owners[q] = agent;
        }
        return owners;
    }

    public List<QueueAgent> agents() {
        return List.copyOf(agents.values());
    }

    /** Starts one thread per agent. */
    public void start() {
        started = true;
        ErrorHandler onError = t -> {
            if (t instanceof AgentTerminationException) {
                return;
            }
            // A bug, not guest input (guest faults are statuses and NEEDS_RESET): log the first few, keep serving.
            if (errors.incrementAndGet() <= 10) {
                LOG.log(Level.ERROR, "queue agent error", t);
            }
        };
        for (QueueAgent agent : agents.values()) {
            AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), onError, null, agent);
            AgentRunner.startOnThread(runner, r -> Thread.ofPlatform().name("vireo-io-" + agent.roleName())
                .daemon(true).unstarted(r));
            runners.add(runner);
        }
    }

    /** Agent counters, summed over agents. */
    public void report(StatsSink sink) {
        List<Counters<AgentCounter>> all = new ArrayList<>(agents.size());
        for (QueueAgent a : agents.values()) {
            all.add(a.counters());
        }
        Counters.reportSum(AgentCounter.class, sink, all);
        sink.counter("agents", agents.size());
        sink.counter("agent_errors", errors.get());
    }

    /** Stops every agent and joins its thread; the queues are no longer served. Idempotent. */
    @Override
    public void close() {
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
