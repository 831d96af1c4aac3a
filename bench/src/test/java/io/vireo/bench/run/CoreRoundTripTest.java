package io.vireo.bench.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class CoreRoundTripTest {
    @Test
    void shouldTakeTheFirstTwoCpusOfTheAllowedList() {
        assertArrayEquals(new int[] {0, 1}, CoreRoundTrip.firstTwo("0-1"));
        assertArrayEquals(new int[] {0, 2}, CoreRoundTrip.firstTwo("0,2-5"));
        assertArrayEquals(new int[] {4, 5}, CoreRoundTrip.firstTwo("4-7,9"));
        assertArrayEquals(new int[] {3, 8}, CoreRoundTrip.firstTwo("3,8"));
        assertNull(CoreRoundTrip.firstTwo("3"));
        assertNull(CoreRoundTrip.firstTwo(""));
    }

    @Test
    void shouldMeasureAFiniteRoundTripBetweenTwoPinnedThreads() {
        assumeTrue(CoreRoundTrip.firstTwoCpus() != null, "skipped: fewer than two CPUs to pin to");
        double ns = CoreRoundTrip.measureNs(10_000);
        // A cache line cannot go there and back in under a nanosecond, and 10k trips end within seconds.
        assertTrue(ns > 1 && ns < 1_000_000, "round trip " + ns + " ns");
    }
}
