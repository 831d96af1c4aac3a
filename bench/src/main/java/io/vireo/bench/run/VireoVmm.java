package io.vireo.bench.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Vireo as a user runs it: {@code ./vireo run --disk … --stats-json … --cmdline …}. Exits come from the window the
 * guest marks with POST codes 0xB0/0xB1 (Vireo snapshots KVM's counters there); CPU time by thread name, sampled at
 * the guest's header and result lines; with a profile request, async-profiler is attached to the VMM's JVM for the
 * timed phase.
 */
public final class VireoVmm implements Vmm {
    private final Path launcher;

    public VireoVmm(Path root) {
        this.launcher = root.resolve("vireo");
    }

    @Override
    public String name() {
        return "vireo";
    }

    static String disk(Job job, Path image) {
        return switch (job.backend()) {
            case NULL -> "null:1G";
            case CACHED -> image + ",direct=off";
            case DIRECT -> image + ",direct=on";
        };
    }

    @Override
    public Measurement run(Job job, RunSpec spec) throws IOException, InterruptedException {
        Path stats = spec.workDir().resolve("vireo-stats.json");
        Files.deleteIfExists(stats);
        long timeout = spec.seconds() + 120L;
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "run", "--disk", disk(job, spec.image()),
            "--stats-json", stats.toString(), "--timeout", Long.toString(timeout), "--cmdline",
            job.guestCmdline(spec.seconds(), spec.quick())));
        Map<String, String> env = spec.profile() == null ? Map.of()
            : Map.of("JDK_JAVA_OPTIONS", AsyncProfiler.TARGET_JVM_FLAGS);
        Phase phase = new Phase(spec.profile());
        String out = GuestProcess.run(cmd, env, timeout + 30, phase);
        phase.close();
        if (phase.begin == null || phase.end == null || phase.result == null) {
            throw new GuestProcess.RunFailure("no timed phase seen", cmd, out);
        }
        Map<String, Object> window = window(stats);
        double exits = 0;
        for (Object v : (List<?>) window.get("vcpus")) {
            exits += (Double) ((Map<?, ?>) v).get("exits");
        }
        return Measurement.of(phase.result, exits, phase.end.minus(phase.begin));
    }

    private static Map<String, Object> window(Path stats) throws IOException {
        Map<String, Object> all = Json.object(Files.readString(stats));
        if (!(all.get("window") instanceof Map<?, ?> w)) {
            throw new IOException(stats + ": no marked window (the guest wrote no 0xB0/0xB1 pair)");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> window = (Map<String, Object>) w;
        return window;
    }

    /** Follows the console: finds the VMM's JVM, samples its threads around the timed phase, drives the profiler. */
    private static final class Phase implements GuestProcess.Listener {
        private final AsyncProfiler.Request profile;
        private Optional<AsyncProfiler.Session> session = Optional.empty();
        private long pid = -1;
        ThreadCpu begin;
        ThreadCpu end;
        Map<String, Object> result;

        Phase(AsyncProfiler.Request profile) {
            this.profile = profile;
        }

        @Override
        public void line(ProcessHandle process, String line) throws IOException {
            if (pid < 0) {
                // The guest prints: the VMM is up, its vCPU threads exist.
                pid = ThreadCpu.vmmPid(process, ThreadCpu.VIREO);
                if (profile != null && pid > 0) {
                    session = Optional.of(AsyncProfiler.attach(pid));
                }
            }
            if (line.startsWith(GuestProcess.HEADER) && pid > 0) {
                if (session.isPresent()) {
                    session.get().start(profile);
                }
                begin = ThreadCpu.sample(pid, ThreadCpu.VIREO);
            } else if (line.startsWith(GuestProcess.END) && begin != null && end == null) {
                end = ThreadCpu.sample(pid, ThreadCpu.VIREO);
                if (session.isPresent()) {
                    session.get().stop(profile);
                }
            } else if (line.startsWith(GuestProcess.RESULT) && end != null) {
                result = GuestProcess.result(line);
            }
        }

        void close() {
            session.ifPresent(AsyncProfiler.Session::close);
        }
    }
}
