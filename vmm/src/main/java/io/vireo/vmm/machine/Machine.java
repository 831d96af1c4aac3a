package io.vireo.vmm.machine;

import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.RequestTrace;
import io.vireo.dataplane.stats.StatsSource;
import io.vireo.sys.NativeHeap;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.devices.PlatformControl;
import io.vireo.vmm.devices.PortIoBus;
import io.vireo.vmm.kvm.KvmStats;
import io.vireo.vmm.kvm.KvmSystem;
import io.vireo.vmm.kvm.Vcpu;
import io.vireo.vmm.kvm.Vm;
import io.vireo.vmm.pci.MmioBus;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * A running KVM machine: vCPU threads, memory, platform devices. Whatever ends the run first
 * (guest poweroff, exit port, reset, triple fault, an error, the timeout, a signal) sets the exit
 * status; the rest are ignored.
 */
public final class Machine implements PlatformControl, AutoCloseable {
    /** Sampling periods between two native-heap trims (about a second). */
    private static final int TRIM_PERIODS = 5;

    private static final int RUNNING = -1;

    private final MachineConfig config;
    private final KvmSystem kvm;
    private final Vm vm;
    private final MemfdGuestMemory memory;
    private final List<Vcpu> vcpus;
    private final List<VcpuLoop> loops = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final AtomicInteger status = new AtomicInteger(RUNNING);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final BootClock clock;
    private final KvmStats kvmStats;
    private final MachineStats stats;
    private volatile String stopReason = "";
    private volatile boolean stopping;

    /** {@code kvmStats}: KVM's stats fds of this VM, or null when stats are off; closed with the machine. */
    Machine(MachineConfig config, KvmSystem kvm, Vm vm, MemfdGuestMemory memory, List<Vcpu> vcpus, BootClock clock,
            KvmStats kvmStats) {
        this.config = config;
        this.kvm = kvm;
        this.vm = vm;
        this.memory = memory;
        this.vcpus = vcpus;
        this.clock = clock;
        this.kvmStats = kvmStats;
        this.stats = new MachineStats(kvmStats, this::exitCounts);
    }

    public MachineConfig config() {
        return config;
    }

    public MemfdGuestMemory memory() {
        return memory;
    }

    public Vm vm() {
        return vm;
    }

    private RunDirectory runDir;
    private CountersFile counters;
    private RequestTrace trace;
    private List<LiveStats.Queue> liveQueues = List.of();
    private List<QueueAgent> liveAgents = List.of();
    private LongSupplier requests = () -> 0;
    private LiveStats live;

    /** The run directory and its counters file, the trace, and what the sampler reads. Before {@link #start}. */
    void live(RunDirectory dir, CountersFile file, RequestTrace journal, List<LiveStats.Queue> queues,
              List<QueueAgent> agents, LongSupplier requestCount) {
        this.runDir = dir;
        this.counters = file;
        this.trace = journal;
        this.liveQueues = queues;
        this.liveAgents = agents;
        this.requests = requestCount;
    }

    private final List<Runnable> quiesce = new ArrayList<>();

    /** Something that stops the devices' own threads (queue agents), run by {@link #quiesce}. */
    void onQuiesce(Runnable r) {
        quiesce.add(r);
    }

    /**
     * After {@link #awaitExit}: stops the devices' threads so that no counter moves any more (the final --stats and
     * the counters file then agree). {@link #close} does it too.
     */
    public void quiesce() {
        for (Runnable r : quiesce) {
            r.run();
        }
        quiesce.clear();
    }

    /** The VM's run directory (ROOT/pid/), where its live counters are. */
    public Path runDirectory() {
        return runDir.path();
    }

    /** The request trace, when --trace asked for one. */
    public Optional<RequestTrace> trace() {
        return Optional.ofNullable(trace);
    }

    /** Sampled counters (vCPUs, CPU time, latency percentiles); sample once more before reading at exit. */
    public LiveStats live() {
        return live;
    }

    /** Starts one platform thread per vCPU. */
    void start(PortIoBus pio, MmioBus mmio) {
        for (Vcpu vcpu : vcpus) {
            VcpuLoop loop = new VcpuLoop(this, vcpu, pio, mmio);
            loops.add(loop);
            Thread t = Thread.ofPlatform().name("vcpu" + vcpu.index()).daemon(true).unstarted(loop);
            threads.add(t);
        }
        List<LongSupplier> vcpuCpu = new ArrayList<>();
        for (VcpuLoop loop : loops) {
            vcpuCpu.add(loop::cpuNs);
        }
        if (counters != null) {
            live = new LiveStats(counters, liveQueues, liveAgents, vcpuCpu, kvmStats, this::exitCounts, requests);
        }
        clock.vcpusStarting();
        stats.started();
        if (TestFault.beforeVcpusStart()) {
            threads.forEach(Thread::start);
        }
    }

    /**
     * Blocks until the machine stops or the timeout passes; returns the exit status. The waiting thread samples the
     * live counters meanwhile ({@link LiveStats#PERIOD_MS}) and now and then trims the native heap ({@link
     * NativeHeap}), so that no thread exists for either alone.
     */
    public int awaitExit() throws InterruptedException {
        long timeout = config.timeoutNanos();
        long deadline = System.nanoTime() + timeout;
        long period = TimeUnit.MILLISECONDS.toNanos(LiveStats.PERIOD_MS);
        long periods = 0;
        while (true) {
            long wait = period;
            if (timeout > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    stop(ExitStatus.TIMEOUT, "timeout after " + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms");
                    break;
                }
                wait = Math.min(wait, left);
            }
            if (stopped.await(wait, TimeUnit.NANOSECONDS)) {
                break;
            }
            if (live != null) {
                live.sample();
            }
            if (++periods % TRIM_PERIODS == 0) {
                NativeHeap.trim(); // the JIT's freed compile arenas back to the kernel (NativeHeap)
            }
        }
        joinVcpus();
        return status.get();
    }

    boolean stopping() {
        return stopping;
    }

    private final Object pauseLock = new Object();
    private volatile boolean pauseRequested;
    /** vCPU threads parked in {@link #parkVcpu}; guarded by pauseLock. */
    private int parkedVcpus;
    private MachineControl control;

    boolean pauseRequested() {
        return pauseRequested;
    }

    /** On a vCPU thread, out of KVM_RUN: waits while a pause lasts (or until the machine stops). */
    void parkVcpu() {
        synchronized (pauseLock) {
            parkedVcpus++;
            pauseLock.notifyAll();
            try {
                while (pauseRequested && !stopping) {
                    pauseLock.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                parkedVcpus--;
            }
        }
    }

    /**
     * Takes every vCPU out of KVM_RUN and parks it; returns true once all are parked, false if the machine stopped or
     * {@code timeoutNs} passed first (then the pause is undone).
     */
    boolean pauseVcpus(long timeoutNs) throws InterruptedException {
        // ORDERING: pauseRequested (volatile) is written before each loop's threadHandle is read in kick().
        pauseRequested = true;
        for (VcpuLoop loop : loops) {
            loop.kick();
        }
        long deadline = System.nanoTime() + timeoutNs;
        synchronized (pauseLock) {
            while (parkedVcpus < loops.size() && !stopping) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                pauseLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            if (parkedVcpus < loops.size() || stopping) {
                pauseRequested = false;
                pauseLock.notifyAll();
                return false;
            }
            return true;
        }
    }

    /** Lets every parked vCPU run again. */
    void resumeVcpus() {
        synchronized (pauseLock) {
            pauseRequested = false;
            pauseLock.notifyAll();
        }
    }

    /** What a control plane (the API socket) may do with this machine: pause, resume, devices, hot add/remove. */
    public DeviceControl control() {
        return control;
    }

    void control(MachineControl c) {
        this.control = c;
    }

    /** Ends the run with {@code exitStatus} unless something ended it already. Any thread. */
    public void stop(int exitStatus, String reason) {
        if (!status.compareAndSet(RUNNING, exitStatus)) {
            return;
        }
        stopReason = reason;
        stats.stopped();
        // ORDERING: stopping (volatile) is written before each loop's threadHandle is read in kick().
        stopping = true;
        for (VcpuLoop loop : loops) {
            loop.kick();
        }
        synchronized (pauseLock) {
            pauseLock.notifyAll(); // a paused vCPU leaves its park and sees stopping
        }
        stopped.countDown();
    }

    private void joinVcpus() throws InterruptedException {
        for (int i = 0; i < threads.size(); i++) {
            Thread t = threads.get(i);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (t.isAlive() && System.nanoTime() < deadline) {
                loops.get(i).kick(); // a kick can race with the thread's own exit handling: repeat it
                t.join(20);
            }
            if (t.isAlive()) {
                throw new IllegalStateException("vcpu" + i + " did not leave KVM_RUN within 5 s");
            }
        }
    }

    public String stopReason() {
        return stopReason;
    }

    @Override
    public void powerOff() {
        stop(ExitStatus.POWER_OFF, "guest powered off");
    }

    @Override
    public void reset(String source) {
        stop(ExitStatus.RESET, "guest reset (" + source + ")");
    }

    @Override
    public void debugExit(int exitStatus) {
        stop(exitStatus & 0xff, "guest wrote to the exit port: status " + (exitStatus & 0xff));
    }

    void tripleFault(int vcpu) {
        stop(ExitStatus.TRIPLE_FAULT, "vcpu" + vcpu + ": triple fault (KVM_EXIT_SHUTDOWN)");
    }

    /** HLT reaches user space only without an in-kernel LAPIC, which we always have. */
    void halted(int vcpu) {
        fail("vcpu" + vcpu + ": unexpected HLT exit");
    }

    void fail(String why) {
        stop(ExitStatus.INTERNAL_ERROR, why);
    }

    void fail(String why, Throwable cause) {
        stop(ExitStatus.INTERNAL_ERROR, why);
        if (config.verbose()) {
            cause.printStackTrace();
        }
    }

    BootClock clock() {
        return clock;
    }

    /** Exit counts summed over vCPUs, by {@link ExitCounters#NAMES}; valid after {@link #awaitExit()}. */
    public long[] exitCounts() {
        long[] totals = new long[ExitCounters.NAMES.length];
        for (VcpuLoop loop : loops) {
            loop.counters.addTo(totals);
        }
        return totals;
    }

    public void printReport(PrintStream err) {
        err.println("vireo: " + stopReason);
        err.println("vireo: " + clock.describe());
        long[] counts = exitCounts();
        StringBuilder sb = new StringBuilder("vireo: user-space exits:");
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] != 0) {
                sb.append(' ').append(ExitCounters.NAMES[i]).append('=').append(counts[i]);
                total += counts[i];
            }
        }
        sb.append(" total=").append(total);
        err.println(sb);
        for (var line : reports) {
            err.println("vireo: " + line.get());
        }
    }

    private final List<java.util.function.Supplier<String>> reports = new ArrayList<>();

    /** A line for the --verbose report (device counters). */
    void addReport(java.util.function.Supplier<String> line) {
        reports.add(line);
    }

    /** The machine's counters (KVM's with stats on, user-space exits, data plane sources) and marked window. */
    public MachineStats stats() {
        return stats;
    }

    /**
     * Registers a data plane counter source under {@code name} (e.g. "disk0"), reported by --stats and
     * --stats-json and captured at the guest's window marks. Names are unique. Any thread, any time.
     */
    public void addStatsSource(String name, StatsSource source) {
        stats.addSource(name, source);
    }

    /** Device resources (disk files, ...) closed with the machine, before its memory. */
    void closeAlso(AutoCloseable resource) {
        resources.add(resource);
    }

    @Override
    public void close() {
        // Closed while vCPUs still run (awaitExit threw, an embedder closes early): stop them before their kvm_run
        // mappings and guest RAM go, or a vCPU thread reads unmapped memory (seen: SIGSEGV in VcpuLoop.handleExit
        // after the thread in awaitExit died of an error). A vCPU that will not stop keeps what it maps: leaked,
        // not pulled from under it.
        boolean vcpusStopped = true;
        if (threads.stream().anyMatch(Thread::isAlive)) {
            stop(ExitStatus.INTERNAL_ERROR, "closed while running");
            try {
                joinVcpus();
            } catch (InterruptedException | IllegalStateException e) {
                vcpusStopped = false;
                System.err.println("vireo: closing the machine: " + e.getMessage() + "; its memory stays mapped");
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (live != null) {
            live.close();
        }
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                System.err.println("vireo: closing a device: " + e);
            }
        }
        if (kvmStats != null) {
            kvmStats.close();
        }
        if (!vcpusStopped) {
            return;
        }
        for (Vcpu v : vcpus) {
            v.close();
        }
        vm.close();
        memory.close();
        kvm.close();
        if (counters != null) {
            counters.close();
        }
        if (runDir != null) {
            runDir.close();
        }
    }
}
