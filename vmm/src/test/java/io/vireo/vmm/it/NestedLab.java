package io.vireo.vmm.it;

import org.junit.jupiter.api.TestReporter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs commands in the nested lab (linux/nested-lab.sh: an L1 Linux under QEMU TCG with emulated SVM, whose /dev/kvm
 * boots a stock kernel, which this machine's PVM /dev/kvm cannot). A run that failed for the environment's sake (see
 * {@link LabRetry}) is tried again, up to {@link #RETRIES} times; every retry goes into the test's report (a report
 * entry, and a {@code lab retry:} line on stdout, which Surefire keeps in the test case's system-out) as well as on
 * stderr.
 */
final class NestedLab {
    static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    static final int TIMEOUT_S = 300;
    /** Retries after environment failures: L1's kernel has been seen to crash in 3 of 7 long runs on a loaded host, so
     * one retry left a test suite of a dozen lab runs failing too often for TCG's sake. */
    static final int RETRIES = 2;
    /** Where the JVM in L1 writes its crash report (the lab shares /tmp/vireo-lab with the host), for LabRetry. */
    static final Path CRASH_REPORTS = Path.of("/tmp/vireo-lab/hs_err");

    /** What a lab run came to, and the reason for each retry on the way. */
    record Run(VireoProcess.Result result, List<String> retries) {
    }

    private NestedLab() {
    }

    static void needLab() {
        assumeTrue(Files.isExecutable(QEMU), "skipped: the nested lab needs " + QEMU + " (.ci/run installs it)");
        assumeTrue(Files.isReadable(LinuxDirectBootTest.bzImage()), "skipped: no Linux guest image at "
            + LinuxDirectBootTest.bzImage() + " (linux/build-guest-image.sh builds it; scripts/test runs it first)");
    }

    /** {@code nested-lab.sh -- ./vireo run --guest linux ARGS...} from the repository root. */
    static VireoProcess.Result lab(TestReporter reporter, String... vireoArgs) {
        List<String> cmd = new ArrayList<>(List.of("./vireo", "run", "--guest", "linux"));
        cmd.addAll(List.of(vireoArgs));
        return inLab(reporter, cmd);
    }

    static VireoProcess.Result inLab(TestReporter reporter, List<String> command) {
        return run(reporter, command, TIMEOUT_S, Map.of()).result();
    }

    /**
     * Runs {@code command} in the lab with a {@code timeoutS} lab timeout and {@code env} added to the environment
     * (the lab passes the environment on to the command), and again (up to RETRIES times) while a run failed for the
     * environment.
     */
    static Run run(TestReporter reporter, List<String> command, int timeoutS, Map<String, String> env) {
        List<String> cmd = new ArrayList<>(List.of(VireoProcess.root().resolve("linux/nested-lab.sh").toString(),
            "--timeout", Integer.toString(timeoutS), "--"));
        cmd.addAll(command);
        Map<String, String> fullEnv = new java.util.HashMap<>(env);
        fullEnv.merge("JAVA_TOOL_OPTIONS", "-XX:ErrorFile=" + CRASH_REPORTS + "/hs_err_pid%p.log",
            (mine, errorFile) -> mine + " " + errorFile);
        crashReportDir();
        List<String> retries = new ArrayList<>();
        VireoProcess.Result r = VireoProcess.exec(cmd, fullEnv, timeoutS + 120);
        String why = LabRetry.environmentFailure(r);
        while (why != null && retries.size() < RETRIES) {
            String note = "lab retry: " + why + " (status " + r.status() + "); trying again: " + command;
            retries.add(why);
            reporter.publishEntry("lab retry", note);
            System.out.println(note);
            System.err.println(note);
            r = VireoProcess.exec(cmd, fullEnv, timeoutS + 120);
            why = LabRetry.environmentFailure(r);
        }
        return new Run(r, List.copyOf(retries));
    }

    private static void crashReportDir() {
        try {
            Files.createDirectories(CRASH_REPORTS);
            Files.setPosixFilePermissions(CRASH_REPORTS, PosixFilePermissions.fromString("rwxrwxrwx"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String show(VireoProcess.Result r) {
        return "status " + r.status() + "\nstdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr();
    }
}
