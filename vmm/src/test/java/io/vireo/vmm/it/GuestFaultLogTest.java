package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A guest that corrupts its disk's ring ({@code blk=corrupt}: avail idx 0x1234 ahead, virtio 1.2 §2.7.6) gets
 * DEVICE_NEEDS_RESET, and Vireo prints exactly one line for it: the disk by its name and PCI address, the rule, the
 * value; in UTF-8 also when the locale is {@code C}.
 */
class GuestFaultLogTest {
    private static final String LINE = "vireo: warning: disk0 (00:01.0) q0: AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) "
        + "avail idx moved by more than the queue size: value 0x1234; device needs reset";

    private static void assertOneFaultLine(Map<String, String> env) {
        assumeTrue(VireoProcess.kvmAccessible(), "needs read/write /dev/kvm");
        VireoProcess.Result r = VireoProcess.run(env, "run", "--disk", "null:1M", "--cmdline", "blk=corrupt");
        assertEquals(0, r.status(), () -> "status; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        assertTrue(r.stdout().contains("blk: corrupt avail_idx=0x1234 needs_reset=1"), r.stdout());
        assertEquals(List.of(LINE), r.stderrLines(), r.stderr());
    }

    @Test
    void shouldPrintOneLineNamingDiskAndRuleWhenGuestCorruptsAvailIdx() {
        assertOneFaultLine(Map.of());
    }

    @Test
    void shouldPrintTheSectionSignUnderTheCLocale() {
        assertOneFaultLine(Map.of("LANG", "C", "LC_ALL", "C"));
    }

    /**
     * On a terminal the console puts it in raw mode (no output processing): the line must end in CR LF itself, or the
     * next one starts mid-screen. {@code script} gives Vireo a pseudo-terminal and copies what reaches it.
     */
    @Test
    void shouldEndTheLineWithCrLfWhileTheConsoleHoldsTheTerminalRaw() {
        assumeTrue(VireoProcess.kvmAccessible(), "needs read/write /dev/kvm");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs script(1) (util-linux) for a terminal");
        String cmd = VireoProcess.root().resolve("vireo") + " run --disk null:1M --cmdline blk=corrupt";
        VireoProcess.Result r = VireoProcess.exec(List.of("/usr/bin/script", "-qec", cmd, "/dev/null"), Map.of(), 120);
        assertEquals(0, r.status(), () -> "status; output:\n" + r.stdout() + r.stderr());
        assertTrue(r.stdout().contains(LINE + "\r\n"), () -> "CR LF after the line in: " + r.stdout()
            .replace("\r", "\\r"));
    }
}
