package io.vireo.bench.run;

import java.io.IOException;
import java.nio.file.Path;

/** A VMM the benchmark runs the test guest on. */
public interface Vmm {

    /** What one run needs besides the job. */
    record RunSpec(int seconds, boolean quick, Path image, Path workDir, AsyncProfiler.Request profile) {
    }

    /** "vireo" or "qemu": the JSON key and the table's label. */
    String name();

    /** Runs the job once: boot, untimed warm-up, timed phase, figures. */
    Measurement run(Job job, RunSpec spec) throws IOException, InterruptedException;
}
