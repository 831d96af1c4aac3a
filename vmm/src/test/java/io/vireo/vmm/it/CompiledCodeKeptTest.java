package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the data plane's warm-up compiles stays compiled when the guest starts: no class loaded during a run breaks an
 * assumption that compiled code of the data plane (Vireo's own methods, the JDK's memory segment and VarHandle
 * accessors) was compiled under. Such a load deoptimizes every method that relied on it at once. Seccomp once did
 * this: the sandbox, installed as the guest starts, wrote a pointer with {@code set(ADDRESS, ...)}; that loads the
 * JDK's first {@code IndirectVarHandle} and so broke C2's "VarHandle has one implementation" assumption; 14 methods
 * (every memory segment accessor, {@code BlkRequest.parse}) went back to the interpreter before the guest's first
 * request. The JVM's compilation log ({@code -XX:+LogCompilation}) names each break: a {@code dependency_failed}
 * element with the class that broke it ({@code witness}), then each method it deoptimized ({@code make_not_entrant},
 * "marked for deoptimization"). Breaks that deoptimize only start-up code (jar and class-file code while classes
 * still load, as in a run without the AOT cache) are not the data plane's. No timings.
 */
class CompiledCodeKeptTest {
    private static final Pattern WITNESS = Pattern.compile("^<dependency_failed .*witness='([^']*)'");
    private static final Pattern COMPILE_ID = Pattern.compile(" compile_id='(\\d+)'");
    private static final Pattern METHOD = Pattern.compile(" method='([^' ]+) ([^' ]+)");
    private static final Pattern STAMP = Pattern.compile(" stamp='([0-9.]+)'");
    private static final List<String> DATA_PLANE = List.of("io.vireo.", "jdk.internal.foreign.",
        "jdk.internal.misc.ScopedMemoryAccess", "java.lang.invoke.VarHandle");

    @TempDir
    Path tmp;

    @Test
    void shouldDeoptimizeNoDataPlaneCodeByALateClassLoad() throws IOException {
        assumeTrue(VireoProcess.kvmAccessible(), "needs read/write /dev/kvm");
        Path log = tmp.resolve("compilation.log");
        VireoProcess.Result r = VireoProcess.exec(List.of(VireoProcess.root().resolve("vireo").toString(), "run",
            "--disk", "null:64M", "--cmdline", "blk=bench qd=1 ios=20000"),
            Map.of("VIREO_JAVA_OPTS", "-XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=" + log), 180);
        assertEquals(0, r.status(), r.stderr());
        assertTrue(r.stdout().contains("\"errors\":0"), r.stdout());
        List<String> lines = Files.readAllLines(log);
        Map<String, String> methods = new HashMap<>();
        for (String line : lines) {
            if (line.startsWith("<nmethod ") || line.startsWith("<task_queued ")) {
                Matcher id = COMPILE_ID.matcher(line);
                Matcher m = METHOD.matcher(line);
                if (id.find() && m.find()) {
                    methods.put(id.group(1), m.group(1) + "." + m.group(2));
                }
            }
        }
        assertFalse(methods.isEmpty(), "no compilations in " + log);
        // From the data plane's first compiled method on: before it, classes still load as the JVM and the command
        // line start (in a run without the AOT cache, e.g. GlobalSession after C1 compiled ScopedMemoryAccess.getByte
        // for the class path's jar reading), and nothing of the data plane is compiled that a load could undo.
        double warm = Double.MAX_VALUE;
        for (String line : lines) {
            Matcher m = METHOD.matcher(line);
            Matcher t = STAMP.matcher(line);
            if (line.startsWith("<nmethod ") && m.find() && m.group(1).startsWith("io.vireo.dataplane.") && t.find()) {
                warm = Double.parseDouble(t.group(1));
                break;
            }
        }
        assertTrue(warm < Double.MAX_VALUE, "no io.vireo.dataplane method was compiled in " + log);
        List<String> broken = new ArrayList<>();
        String witness = null;
        for (String line : lines) {
            Matcher w = WITNESS.matcher(line);
            Matcher t = STAMP.matcher(line);
            if (w.find()) {
                witness = w.group(1);
            } else if (line.startsWith("<make_not_entrant ") && line.contains("reason='marked for deoptimization'")
                && t.find() && Double.parseDouble(t.group(1)) >= warm) {
                Matcher id = COMPILE_ID.matcher(line);
                String method = id.find() ? methods.getOrDefault(id.group(1), "?") : "?";
                if (DATA_PLANE.stream().anyMatch(method::startsWith)) {
                    broken.add(witness + " deoptimized " + method);
                }
            }
        }
        assertTrue(broken.isEmpty(), "a class loaded during the run deoptimized data plane code:\n  "
            + String.join("\n  ", broken));
    }
}
