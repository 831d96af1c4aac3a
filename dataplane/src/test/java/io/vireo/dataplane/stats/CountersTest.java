package io.vireo.dataplane.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class CountersTest {

    enum Demo implements Counter {
        REQUESTS,
        BYTES_READ {
            @Override
            public boolean inSummary() {
                return true;
            }
        }
    }

    @Test
    void shouldReportEachCounterUnderItsConstantsLowerCaseName() {
        Counters<Demo> c = new Counters<>(Demo.class);
        c.increment(Demo.REQUESTS);
        c.increment(Demo.REQUESTS);
        c.add(Demo.BYTES_READ, 4096);
        Map<String, Long> seen = new LinkedHashMap<>();
        c.report(seen::put);
        assertEquals(Map.of("requests", 2L, "bytes_read", 4096L), seen);
        assertEquals(List.of("requests", "bytes_read"), List.copyOf(seen.keySet()));
        assertEquals(2, c.get(Demo.REQUESTS));
    }

    @Test
    void shouldSumSetsOfOneTypeAndSummarizeOnlyMarkedCounters() {
        Counters<Demo> a = new Counters<>(Demo.class);
        Counters<Demo> b = new Counters<>(Demo.class);
        a.increment(Demo.REQUESTS);
        b.add(Demo.REQUESTS, 5);
        b.add(Demo.BYTES_READ, 7);
        Map<String, Long> sum = new LinkedHashMap<>();
        Counters.reportSum(Demo.class, sum::put, List.of(a, b));
        assertEquals(Map.of("requests", 6L, "bytes_read", 7L), sum);
        Map<String, Long> summary = new LinkedHashMap<>();
        b.reportSummary(summary::put);
        assertEquals(Map.of("bytes_read", 7L), summary);
    }

    @Test
    void shouldRefuseStorageOfTheWrongSize() {
        assertThrows(IllegalArgumentException.class, () -> new Counters<>(Demo.class, CounterSlots.onHeap(3)));
    }
}
