package io.vireo.dataplane.stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CountersFileTest {
    enum Sample implements Counter {
        REQUESTS, BYTES_READ
    }

    @TempDir
    Path dir;

    private static Map<String, Long> values(CountersFile f) {
        Map<String, Long> m = new LinkedHashMap<>();
        f.reader().forEach((id, label) -> m.put(label, f.reader().getCounterValue(id)));
        return m;
    }

    @Test
    void shouldShowAWritersCountersToAReadOnlyMappingWhenBothMapTheFile() {
        Path file = dir.resolve("counters");
        CountersFile writer = CountersFile.create(file, 8);
        Counters<Sample> set = writer.counters(Sample.class, "disk0.q0", CountersFile.TYPE_BLK_QUEUE);
        CountersFile reader = CountersFile.openReadOnly(file);
        assertEquals(Map.of("disk0.q0.requests", 0L, "disk0.q0.bytes_read", 0L), values(reader));
        set.increment(Sample.REQUESTS);
        set.increment(Sample.REQUESTS);
        set.add(Sample.BYTES_READ, 4096);
        assertEquals(Map.of("disk0.q0.requests", 2L, "disk0.q0.bytes_read", 4096L), values(reader));
        assertEquals(ProcessHandle.current().pid(), reader.pid());
        Map<String, Long> reported = new LinkedHashMap<>();
        set.report(reported::put);
        assertEquals(Map.of("requests", 2L, "bytes_read", 4096L), reported);
    }

    @Test
    void shouldKeepTheLastValuesReadableWhenTheWriterRemovesItsFile() {
        Path file = dir.resolve("counters");
        CountersFile writer = CountersFile.create(file, 4);
        Counters<Sample> set = writer.counters(Sample.class, "q", 0);
        CountersFile reader = CountersFile.openReadOnly(file);
        set.add(Sample.REQUESTS, 7);
        writer.close();
        assertFalse(Files.exists(file));
        assertEquals(7L, values(reader).get("q.requests"));
        set.increment(Sample.REQUESTS); // a late increment after close still lands in the mapping
        assertEquals(8L, values(reader).get("q.requests"));
    }

    @Test
    void shouldRefuseAFileThatIsNotACountersFileWhenOpened() throws IOException {
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[4096]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CountersFile.openReadOnly(junk));
        assertTrue(e.getMessage().contains("not a Vireo counters file"), e.getMessage());
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[3]);
        assertThrows(IllegalStateException.class, () -> CountersFile.openReadOnly(tiny));
    }

    @Test
    void shouldRefuseToReplaceAnExistingFileWhenCreating() throws IOException {
        Path file = dir.resolve("counters");
        Files.writeString(file, "someone else's");
        assertThrows(IllegalStateException.class, () -> CountersFile.create(file, 4));
        assertEquals("someone else's", Files.readString(file));
    }

    @Test
    void shouldFailWithTheNumbersWhenTheFileIsFull() {
        CountersFile f = CountersFile.inMemory(1);
        assertThrows(IllegalStateException.class, () -> f.counters(Sample.class, "q", 0));
    }
}
