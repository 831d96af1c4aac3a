package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.FaultLogCapture;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What virtio-blk logs for guest faults: one line per event, naming the device, the queue and the rule. */
class VirtioBlkFaultLogTest {
    private static List<String> captured(Runnable r) {
        try (FaultLogCapture capture = new FaultLogCapture()) {
            r.run();
            return capture.lines();
        }
    }

    @Test
    void shouldLogACorruptAvailIdxOnceNamingDiskQueueAndRule() {
        try (BlkRig rig = new BlkRig(new NullBackend(1 << 20, false))) {
            rig.dev.faultLog().name("disk1 (00:02.0)");
            List<String> lines = captured(() -> {
                rig.driver.setAvailIdxRelease(0x1234);
                rig.dev.processQueue(0);
                rig.dev.processQueue(0); // the queue stays broken: no second line
            });
            assertEquals(List.of("disk1 (00:02.0) q0: AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) avail idx moved by more "
                + "than the queue size: value 0x1234; device needs reset"), lines);
            assertEquals(1, rig.irq.resets.size(), "one NEEDS_RESET");
        }
    }

    @Test
    void shouldLogARefusedRequestWithItsValuesAndStatus() {
        try (BlkRig rig = new BlkRig(new NullBackend(1 << 20, false))) {
            rig.dev.faultLog().name("disk0 (00:01.0)");
            List<String> lines =
                captured(() -> rig.runOne(rig.add(BlkRequest.T_IN, 1L << 40, BlkRig.DATA, 512, true)));
            assertEquals(1, lines.size(), lines::toString);
            assertTrue(lines.get(0).startsWith("disk0 (00:01.0) q0: SECTOR_OUT_OF_RANGE (virtio 1.2 §5.2.6.1) "),
                lines.get(0));
            assertTrue(lines.get(0).contains("sector 1099511627776"), lines.get(0));
            assertTrue(lines.get(0).endsWith("; completed with IOERR"), lines.get(0));
        }
    }
}
