package io.vireo.vmm.machine;

import io.vireo.dataplane.stats.StatsSink;
import io.vireo.dataplane.stats.StatsSource;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST codes 0xB0/0xB1 on port 0x80 mark the stats window; no KVM here (its stats are tested in kvm). */
class PostCodePortTest {
    /** A data plane source whose counters the test moves by hand. */
    private static final class Counters implements StatsSource {
        long requests;
        long kicks;

        @Override
        public void report(StatsSink sink) {
            sink.counter("requests", requests);
            sink.counter("kicks", kicks);
        }
    }

    private final long[] exits = new long[ExitCounters.NAMES.length];
    private final MachineStats stats = new MachineStats(null, exits::clone);
    private final Counters disk = new Counters();
    private final PostCodePort port = new PostCodePort(new BootClock(), stats);

    PostCodePortTest() {
        stats.addSource("disk0", disk);
    }

    private void post(int code) {
        port.write(PostCodePort.PORT, 1, code);
    }

    @Test
    void shouldReportEndMinusBeginWhenGuestMarksTheWindow() {
        disk.requests = 5;
        exits[ExitCounters.IO] = 100;
        post(0xb0);
        disk.requests = 105;
        disk.kicks = 40;
        exits[ExitCounters.IO] = 130;
        post(0xb1);
        disk.requests = 999;
        StatsPoint d = stats.window().orElseThrow().delta();
        assertEquals(Map.of("requests", 100L, "kicks", 40L), d.dataplane().get("disk0"));
        assertEquals(30L, d.userspaceExits().get("io"));
        assertTrue(d.nanos() >= 0);
        assertEquals(-1, d.vcpuTotal("exits"), "no KVM stats in this test");
        assertEquals(1, stats.beginMarks());
        assertEquals(1, stats.endMarks());
    }

    @Test
    void shouldKeepTheLatestPairWhenGuestMarksTwice() {
        post(0xb0);
        disk.requests = 10;
        post(0xb1);
        post(0xb0);
        disk.requests = 17;
        post(0xb1);
        assertEquals(7L, stats.window().orElseThrow().delta().dataplane().get("disk0").get("requests"));
    }

    @Test
    void shouldKeepTheLastCompleteWindowWhenABeginIsNeverEnded() {
        post(0xb0);
        disk.requests = 10;
        post(0xb1);
        post(0xb0);
        disk.requests = 50;
        assertEquals(10L, stats.window().orElseThrow().delta().dataplane().get("disk0").get("requests"));
        assertEquals(2, stats.beginMarks());
    }

    @Test
    void shouldIgnoreAnEndWithoutABegin() {
        post(0xb1);
        assertFalse(stats.window().isPresent());
        assertEquals(1, stats.endMarks());
        post(0xb0);
        post(0xb1);
        post(0xb1);
        assertTrue(stats.window().isPresent());
        assertEquals(3, stats.endMarks());
    }

    @Test
    void shouldIgnoreOtherCodesAndMarksWhenStatsAreOff() {
        post(0x42);
        post(0xc3);
        assertEquals(0, stats.beginMarks() + stats.endMarks());
        PostCodePort off = new PostCodePort(new BootClock(), null);
        off.write(PostCodePort.PORT, 1, 0xb0);
        off.write(PostCodePort.PORT, 1, 0xb1);
        assertEquals(0, stats.beginMarks() + stats.endMarks());
    }

    @Test
    void shouldTakeOnlyTheLowByteOfAWiderWrite() {
        port.write(PostCodePort.PORT, 2, 0x12b0);
        assertEquals(1, stats.beginMarks());
    }

    @Test
    void shouldMarkFromManyThreadsWithoutLosingAMark() throws InterruptedException {
        Thread[] t = new Thread[4];
        for (int i = 0; i < t.length; i++) {
            t[i] = Thread.ofPlatform().start(() -> {
                for (int n = 0; n < 200; n++) {
                    post(0xb0);
                    post(0xb1);
                }
            });
        }
        for (Thread x : t) {
            x.join();
        }
        assertEquals(800, stats.beginMarks());
        assertEquals(800, stats.endMarks());
        assertTrue(stats.window().isPresent());
    }

    @Test
    void shouldRefuseTwoSourcesWithOneNameOrANameThatIsNotAWord() {
        String m = assertThrows(IllegalArgumentException.class, () -> stats.addSource("disk0", sink -> { }))
            .getMessage();
        assertTrue(m.contains("'disk0' is already registered"), m);
        m = assertThrows(IllegalArgumentException.class, () -> stats.addSource("disk 1", sink -> { })).getMessage();
        assertTrue(m.contains("'disk 1'"), m);
    }
}
