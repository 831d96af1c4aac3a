package io.vireo.vmm.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Vireo-side crash and a Vireo-side hang, injected into a nested-lab run of {@code vireo run --guest linux} through
 * {@code -Dvireo.test.fault} (read by the VMM only when set, see TestFault): the lab run fails and is not tried again,
 * since neither is evidence that the environment failed ({@link LabRetry}). Two lab runs, about 30 s and 90 s.
 */
class NestedLabFaultTest {
    private static final List<String> BOOT = List.of("./vireo", "run", "--guest", "linux", "--", "true");

    @BeforeAll
    static void needLab() {
        NestedLab.needLab();
    }

    private static Map<String, String> fault(String kind) {
        return Map.of("JAVA_TOOL_OPTIONS", "-Dvireo.test.fault=" + kind);
    }

    @Test
    void shouldFailWithoutARetryWhenVireoCrashesInItsOwnCode(TestReporter reporter) {
        NestedLab.Run run = NestedLab.run(reporter, BOOT, NestedLab.TIMEOUT_S, fault("crash"));
        VireoProcess.Result r = run.result();
        assertEquals(134, r.status(), () -> "the JVM's abort after SIGSEGV\n" + NestedLab.show(r));
        assertTrue(r.stdout().contains("SIGSEGV"), () -> NestedLab.show(r));
        notRetried(run, "TestFault");
        String report = LabRetry.crashReport(r.stdout());
        assertTrue(report.contains("io.vireo.vmm.machine.TestFault.beforeVcpusStart"),
            () -> "the crash report, kept on the host, shows Vireo's frame:\n" + report);
    }

    @Test
    void shouldFailWithoutARetryWhenVireoHangsWhileL1KeepsAnswering(TestReporter reporter) {
        // 100 s: the shortest timeout that has the lab diagnose L1 before it expires (45 s before).
        NestedLab.Run run = NestedLab.run(reporter, BOOT, 100, fault("hang"));
        VireoProcess.Result r = run.result();
        assertEquals(124, r.status(), () -> NestedLab.show(r));
        assertTrue(r.stderr().contains("L1 still answering"), () -> NestedLab.show(r));
        assertTrue(r.stderr().contains("== lab diagnosis at L1 uptime"), () -> "no diagnosis: " + NestedLab.show(r));
        assertTrue(r.stderr().contains("vireo.test.fault=hang: the vCPUs will not start"), () -> NestedLab.show(r));
        notRetried(run, "timed out");
    }

    /**
     * The fault itself is not taken for the environment's: LabRetry gives the final result no retry reason, and the
     * retries a lab run may have had were for something else (an earlier run can fail for TCG's sake before the
     * injected fault is reached, as a fresh-clone CI run saw: L1's JVM died in compiled JDK code, then the hang came).
     */
    private static void notRetried(NestedLab.Run run, String faultMark) {
        VireoProcess.Result r = run.result();
        assertNull(LabRetry.environmentFailure(r), () -> "the fault was taken for the environment's\n"
            + NestedLab.show(r));
        assertTrue(run.retries().size() <= NestedLab.RETRIES, () -> run.retries() + "\n" + NestedLab.show(r));
        assertTrue(run.retries().stream().noneMatch(why -> why.contains(faultMark)),
            () -> "retried for the injected fault: " + run.retries());
    }
}
