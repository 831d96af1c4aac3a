package io.vireo.dataplane.stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestTraceTest {
    @TempDir
    Path dir;

    private static List<Long> sectors(Path file) {
        List<Long> s = new ArrayList<>();
        try (TraceReader r = TraceReader.open(file)) {
            r.forEach(rec -> s.add(rec.sector));
        }
        return s;
    }

    private static void write(RequestTrace t, int from, int to) {
        for (int i = from; i < to; i++) {
            t.record(1000 + i, 3, 2, i % 2, i, 4096, 0, 100 + i);
        }
    }

    @Test
    void shouldReadBackEveryFieldWhenTheJournalHasRoom() {
        Path file = dir.resolve("t");
        RequestTrace t = RequestTrace.create(file, 8, true);
        t.record(123, 1, 5, TraceLayout.OP_MALFORMED, 2048, 512, TraceLayout.STATUS_NONE, 77);
        t.record(124, 0xffff, 0, 1, Long.MAX_VALUE, Integer.MAX_VALUE, 1, 0);
        assertEquals("trace " + file + ": 2 requests recorded", t.describe());
        t.close();
        List<String> seen = new ArrayList<>();
        try (TraceReader r = TraceReader.open(file)) {
            assertEquals(2, r.claimed());
            assertEquals(0, r.lost());
            r.forEach(rec -> seen.add(rec.timeNs + " " + rec.device + " " + rec.queue + " "
                + TraceLayout.opName(rec.op) + " " + rec.sector + " " + rec.lengthBytes + " "
                + TraceLayout.statusName(rec.status) + " " + rec.serviceNs));
        }
        assertEquals(List.of("123 1 5 malformed 2048 512 none 77",
            "124 65535 0 write " + Long.MAX_VALUE + " " + Integer.MAX_VALUE + " ioerr 0"), seen);
    }

    @Test
    void shouldKeepTheLatestRecordsAndSaySoWhenAWrappingJournalIsFull() {
        Path file = dir.resolve("t");
        RequestTrace t = RequestTrace.create(file, 4, true);
        write(t, 0, 10);
        assertTrue(t.describe().contains("wrapped: kept the latest 4 of 10"), t.describe());
        t.close();
        assertEquals(List.of(6L, 7L, 8L, 9L), sectors(file));
        try (TraceReader r = TraceReader.open(file)) {
            assertTrue(r.wraps());
            assertEquals(6, r.lost());
        }
    }

    @Test
    void shouldKeepTheFirstRecordsAndCountTheRestWhenAStoppingJournalIsFull() {
        Path file = dir.resolve("t");
        RequestTrace t = RequestTrace.create(file, 4, false);
        write(t, 0, 10);
        assertEquals(6, t.dropped());
        assertTrue(t.describe().contains("stopped: 4 of 10 requests recorded, 6 not"), t.describe());
        t.close();
        assertEquals(List.of(0L, 1L, 2L, 3L), sectors(file));
        try (TraceReader r = TraceReader.open(file)) {
            assertFalse(r.wraps());
            assertEquals(6, r.dropped());
        }
    }

    @Test
    void shouldGiveEachRecordItsOwnSlotWhenSeveralThreadsWrite() throws InterruptedException {
        Path file = dir.resolve("t");
        RequestTrace t = RequestTrace.create(file, 40_000, false);
        Thread[] ws = new Thread[4];
        for (int w = 0; w < ws.length; w++) {
            int base = w * 10_000;
            ws[w] = Thread.ofPlatform().start(() -> write(t, base, base + 10_000));
        }
        for (Thread w : ws) {
            w.join();
        }
        t.close();
        List<Long> s = sectors(file);
        assertEquals(40_000, s.size());
        assertEquals(40_000, s.stream().distinct().count(), "no record overwritten by another writer");
    }

    @Test
    void shouldRefuseFilesThatAreNotTracesWithTheReason() throws IOException {
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[200]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceReader.open(junk));
        assertTrue(e.getMessage().contains("not a Vireo trace"), e.getMessage());
        Path shortFile = dir.resolve("short");
        Files.write(shortFile, new byte[10]);
        assertThrows(IllegalArgumentException.class, () -> TraceReader.open(shortFile));
        // A header whose capacity claims more records than the file holds.
        Path file = dir.resolve("t");
        RequestTrace.create(file, 4, true).close();
        byte[] b = Files.readAllBytes(file);
        b[TraceLayout.CAPACITY_OFFSET + 3] = 1;
        Files.write(file, b);
        e = assertThrows(IllegalArgumentException.class, () -> TraceReader.open(file));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    }
}
