package io.vireo.vmm.cli;

import io.vireo.vmm.it.MiniJson;
import io.vireo.vmm.machine.MachineStats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON and text reports, without KVM: user-space exits and data plane sources only. */
class StatsJsonTest {
    @TempDir
    Path dir;

    private final long[] exits = new long[9];
    private final long[] requests = {0};
    private final MachineStats stats = new MachineStats(null, exits::clone);

    StatsJsonTest() {
        stats.addSource("disk0", sink -> {
            sink.counter("requests", requests[0]);
            sink.counter("idle_sleeps", 3);
            sink.counter("odd \"name\"\\\n=", 1);
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String json) {
        return (Map<String, Object>) MiniJson.parse(json);
    }

    @Test
    void shouldWriteNullWindowAndEscapeNamesWhenNoMarks() {
        exits[0] = 7;
        Map<String, Object> j = parse(StatsJson.json(stats, stats.capture()));
        assertNull(j.get("window"));
        assertEquals(Map.of(), j.get("vm"));
        assertEquals(List.of(), j.get("vcpus"));
        assertEquals(7L, ((Map<?, ?>) j.get("userspace_exits")).get("io"));
        assertEquals(7L, ((Map<?, ?>) j.get("userspace_exits")).get("total"));
        assertEquals(Map.of("requests", 0L, "idle_sleeps", 3L, "odd \"name\"\\\n=", 1L),
            ((Map<?, ?>) j.get("dataplane")).get("disk0"));
        assertEquals(Map.of("begin", 0L, "end", 0L), j.get("marks"));
    }

    @Test
    void shouldWriteWindowDeltasWhenMarked() {
        stats.markBegin();
        requests[0] = 40;
        exits[0] = 12;
        stats.markEnd();
        Map<String, Object> j = parse(StatsJson.json(stats, stats.capture()));
        Map<?, ?> w = (Map<?, ?>) j.get("window");
        assertEquals(40L, ((Map<?, ?>) ((Map<?, ?>) w.get("dataplane")).get("disk0")).get("requests"));
        assertEquals(0L, ((Map<?, ?>) ((Map<?, ?>) w.get("dataplane")).get("disk0")).get("idle_sleeps"));
        assertEquals(12L, ((Map<?, ?>) w.get("userspace_exits")).get("io"));
        assertTrue((Long) w.get("wall_ns") >= 0);
        // Without KVM stats there is no exit count to divide: null, not a made-up number.
        assertTrue(((Map<?, ?>) w.get("exits_per_request")).containsKey("disk0"));
        assertNull(((Map<?, ?>) w.get("exits_per_request")).get("disk0"));
        String text = StatsReport.text(stats, stats.capture());
        assertTrue(text.contains("vireo: stats: window between POST codes 0xb0 and 0xb1"), text);
        assertTrue(text.contains("dataplane disk0: requests=40 idle_sleeps=0 odd_\"name\"\\__=0"), text);
        assertTrue(text.lines().allMatch(l -> l.startsWith(StatsReport.PREFIX)), text);
    }

    @Test
    void shouldReplaceTheFileWhole() throws IOException {
        Path f = Files.writeString(dir.resolve("stats.json"), "old");
        StatsJson.write(f, "{\"new\":1}\n");
        assertEquals("{\"new\":1}\n", Files.readString(f));
        try (var list = Files.list(dir)) {
            assertEquals(List.of(f), list.toList(), "no temporary file left behind");
        }
    }

    @Test
    void shouldRefuseMissingDirectoryOrADirectoryAsTheFile() {
        String m = assertThrows(io.vireo.vmm.VireoException.class,
            () -> StatsJson.checkWritable(dir.resolve("nope/stats.json"))).getMessage();
        assertTrue(m.contains("does not exist"), m);
        m = assertThrows(io.vireo.vmm.VireoException.class, () -> StatsJson.checkWritable(dir)).getMessage();
        assertTrue(m.contains("is a directory"), m);
        StatsJson.checkWritable(dir.resolve("ok.json"));
    }
}
