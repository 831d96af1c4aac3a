package io.vireo.dataplane.virtio.device.blk;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlkWarmupTest {
    private static final long LATER = Long.MAX_VALUE;

    @Test
    void shouldCompleteEveryRequestOkThroughTheAgentWhenTheBackEndServesThem() {
        HeapBackend disk = new HeapBackend(new byte[1 << 20]);
        long done = new BlkWarmup().run(disk, 1000, LATER);
        // Rounds are QD 1 or a batch of 8: the last round may end a little past the budget.
        assertTrue(done >= 1000 && done < 1000 + 8, "requests: " + done);
    }

    @Test
    void shouldFailWhenARequestDoesNotCompleteOk() {
        // Writes to a read-only disk get IOERR: a warm-up that does not take the guest's path says so.
        var readOnly = new io.vireo.dataplane.virtio.device.blk.backend.NullBackend(1 << 20, true);
        IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> new BlkWarmup().run(readOnly, 1000, LATER));
        assertTrue(e.getMessage().contains("status"), e.getMessage());
    }

    @Test
    void shouldEndOnceTheGuestIsBusy() {
        HeapBackend disk = new HeapBackend(new byte[1 << 20]);
        int[] asked = new int[1];
        // Busy from the third question on: the warm-up ends at that check, long before its budget.
        long done = new BlkWarmup().run(disk, 1_000_000, LATER, () -> ++asked[0] >= 3);
        assertEquals(3, asked[0]);
        assertTrue(done > 0 && done < 1000, "requests: " + done);
        assertEquals(0, new BlkWarmup().run(disk, 1000, LATER, () -> true));
    }

    @Test
    void shouldDoNothingWhenStoppedOrPastItsDeadline() {
        HeapBackend disk = new HeapBackend(new byte[1 << 20]);
        assertEquals(0, new BlkWarmup().run(disk, 1000, System.nanoTime() - 1));
        BlkWarmup stopped = new BlkWarmup();
        stopped.stop();
        assertEquals(0, stopped.run(disk, 1000, LATER));
    }
}
