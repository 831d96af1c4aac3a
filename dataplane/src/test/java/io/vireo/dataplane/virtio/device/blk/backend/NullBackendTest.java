package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.Errno;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NullBackendTest {

    /**
     * Null stores nothing, so a FLUSH has nothing to make stable: it completes at once with success, like every other
     * request (the flush-ordering contract in BlockBackendContractTest applies to the file back ends only).
     */
    @Test
    void shouldCompleteEverythingAtOnceAndLeaveReadBuffersAlone() {
        try (Rig rig = new Rig(); NullBackend b = new NullBackend(1 << 30); BlockQueue q = b.openQueue(4)) {
            assertEquals("null", b.describe());
            assertEquals(1 << 30, b.sizeBytes());
            assertEquals(-1, q.completionEventFd());
            rig.ram.set(ValueLayout.JAVA_BYTE, 0, (byte) 42);
            assertEquals(0, q.prepareRead(0, 0, rig.iovecs(0, 512), 1, 512));
            assertEquals(0, q.prepareWrite(1, 0, rig.iovecs(0, 512), 1, 512));
            assertEquals(0, q.prepareFlush(2));
            assertEquals(0, q.prepareWriteZeroes(3, 0, 512, false));
            assertEquals(-Errno.EAGAIN, q.prepareDiscard(0, 0, 512));
            assertEquals(4, q.submit());
            assertEquals(4, q.reap(rig));
            assertEquals(0, q.inFlight());
            for (int tag = 0; tag < 4; tag++) {
                assertEquals(0, rig.results[tag]);
            }
            assertEquals(42, rig.ram.get(ValueLayout.JAVA_BYTE, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> new NullBackend(1000));
    }
}
