package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;

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
}
