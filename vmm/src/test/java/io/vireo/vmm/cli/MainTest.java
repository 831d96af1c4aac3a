package io.vireo.vmm.cli;

import io.vireo.vmm.it.VireoProcess;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Help, version and the top-level command, in process (the flags' own errors: BadInputTest, RunOptionsTest). */
class MainTest {
    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldPrintVersionOnStdout() {
        Run r = run("--version");
        assertEquals(0, r.status());
        assertTrue(r.out().matches("(?s)vireo \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\nJava 2[5-9].*"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void shouldListCommandsInTopLevelHelp() {
        Run r = run("--help");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("Usage: vireo "), r.out());
        assertTrue(r.out().contains("\n  run "), r.out());
        assertTrue(r.out().contains("\n  help "), r.out());
        assertTrue(r.out().contains("--version"), r.out());
    }

    @Test
    void shouldGiveTheSameRunHelpBothWays() {
        Run viaHelp = run("help", "run");
        Run viaFlag = run("run", "--help");
        assertEquals(0, viaHelp.status());
        assertEquals(0, viaFlag.status());
        assertEquals(viaHelp.out(), viaFlag.out());
        assertTrue(viaFlag.out().startsWith("Usage: vireo run "), viaFlag.out());
        for (String flag : List.of("--guest", "--kernel", "--initrd", "--unpack", "--cmdline", "--cpus", "--memory",
            "--timeout", "--disk", "--io-threads", "--io-cpus", "--verbose", "--stats", "--stats-json", "-- COMMAND")) {
            assertTrue(viaFlag.out().contains(flag), () -> flag + " in:\n" + viaFlag.out());
        }
        assertTrue(viaFlag.out().contains("backend=io_uring|sync|null"), viaFlag.out());
        assertTrue(viaFlag.out().contains("Exit status:"), viaFlag.out());
    }

    @Test
    void shouldPrintUsageOnStderrWithStatus2WhenNoCommand() {
        Run r = run();
        assertEquals(2, r.status());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("Usage: vireo "), r.err());
    }

    @Test
    void shouldNameUnknownCommandInOneLine() {
        Run r = run("frobnicate");
        assertEquals(2, r.status());
        assertEquals("vireo: unknown command 'frobnicate' "
            + "(commands: help, run, stat, trace, bench, jmh, vhost-user-blk, vhost-user-net, ctl)\n",
            r.err());
    }

    @Test
    void shouldNameUnknownTopLevelOptionInOneLine() {
        Run r = run("--frobnicate");
        assertEquals(2, r.status());
        assertEquals("vireo: unknown option --frobnicate (see vireo --help)\n", r.err());
    }

    @Test
    void shouldPrintVersionThroughTheLauncher() {
        VireoProcess.Result r = VireoProcess.run("--version");
        assertEquals(0, r.status(), r.stderr());
        assertTrue(r.stdout().startsWith("vireo "), r.stdout());
    }
}
