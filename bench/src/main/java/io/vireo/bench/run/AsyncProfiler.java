package io.vireo.bench.run;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * async-profiler, from its Maven artifact (the jar carries {@code linux-x64/libasyncProfiler.so}), loaded into a
 * running JVM through the attach API: started when the guest's timed phase begins, stopped (writing a flame graph
 * HTML) when it ends.
 */
public final class AsyncProfiler {
    /** What the profiled VMM's JVM needs: agents loaded at run time without a warning; frames between safepoints. */
    public static final String TARGET_JVM_FLAGS =
        "-XX:+EnableDynamicAgentLoading -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints";
    private static final String RESOURCE = "linux-x64/libasyncProfiler.so";

    /** One profile: {@code event} is async-profiler's ({@code cpu}, {@code alloc}); the flame graph HTML to write. */
    public record Request(String event, Path flameGraph) {
    }

    private AsyncProfiler() {
    }

    /**
     * async-profiler's event for ours: CPU time by {@code itimer} (SIGPROF on the process's CPU time). Its default
     * {@code cpu} engine (perf_events) saw only the vCPU thread here, under a PVM-based KVM at perf_event_paranoid 2;
     * {@code -Dvireo.bench.cpuEvent=cpu} picks it anyway.
     */
    public static String engine(String event) {
        return "cpu".equals(event) ? System.getProperty("vireo.bench.cpuEvent", "itimer") : event;
    }

    /** The native library, copied out of the jar once per user and version into the system's temporary directory. */
    public static synchronized Path library() throws IOException {
        String version = AsyncProfiler.class.getPackage().getImplementationVersion();
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "vireo-async-profiler-"
            + System.getProperty("user.name") + "-" + (version == null ? "4.1" : version));
        Path lib = dir.resolve("libasyncProfiler.so");
        if (Files.isRegularFile(lib)) {
            return lib;
        }
        try (InputStream in = one.profiler.AsyncProfiler.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("async-profiler: " + RESOURCE + " is not on the classpath (is the "
                    + "tools.profiler:async-profiler jar there?)");
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "lib", ".so");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return lib;
    }

    /** Attaches to JVM {@code pid} (the attach listener starts now, ahead of the timed phase). */
    public static Session attach(long pid) throws IOException {
        try {
            return new Session(VirtualMachine.attach(Long.toString(pid)), library());
        } catch (AttachNotSupportedException e) {
            throw new IOException("async-profiler: cannot attach to JVM " + pid + ": " + e.getMessage(), e);
        }
    }

    /** An attached JVM. */
    public static final class Session implements AutoCloseable {
        private final VirtualMachine vm;
        private final Path lib;

        private Session(VirtualMachine vm, Path lib) {
            this.vm = vm;
            this.lib = lib;
        }

        public void start(Request r) throws IOException {
            command("start,event=" + engine(r.event()) + ("cpu".equals(r.event()) ? ",interval=1ms" : ""));
        }

        /** Stops and writes the flame graph (HTML, by the file name). */
        public void stop(Request r) throws IOException {
            command("stop,file=" + r.flameGraph().toAbsolutePath() + ",title=" + r.flameGraph().getFileName());
        }

        private void command(String options) throws IOException {
            try {
                vm.loadAgentPath(lib.toString(), options);
            } catch (AgentLoadException | AgentInitializationException e) {
                throw new IOException("async-profiler '" + options + "' failed in JVM " + vm.id() + ": " + e, e);
            }
        }

        @Override
        public void close() {
            try {
                vm.detach();
            } catch (IOException e) {
                // the JVM has ended
            }
        }
    }
}
