package io.vireo.dataplane.virtio.transport.pci;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.pci.PciHeaderLayout;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.TestGuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static io.vireo.dataplane.virtio.VirtioFeatures.ACKNOWLEDGE;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER_OK;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.LEGACY_BAR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioPciLegacyTest {
    private final Arena arena = Arena.ofConfined();
    private final GuestMemory memory = TestGuestMemory.create(arena);
    private final List<Integer> raised = new ArrayList<>();
    private final FakeVirtioDevice device = new FakeVirtioDevice();
    private final VirtioPciFunction fn = new VirtioPciFunction(device, memory, raised::add, true);

    @AfterEach
    void close() {
        arena.close();
    }

    private long io(int off, int size) {
        return fn.readBar(LEGACY_BAR, off, size);
    }

    private void io(int off, int size, long v) {
        fn.writeBar(LEGACY_BAR, off, size, v);
    }

    @Test
    void shouldPresentTransitionalIds() {
        var cfg = fn.config();
        assertEquals(0x1001, cfg.deviceId());
        assertEquals(0, cfg.read(PciHeaderLayout.REVISION_ID_OFFSET, 1));
        assertEquals(2, cfg.read(PciHeaderLayout.SUBSYSTEM_ID_OFFSET, 2));
        assertEquals(0x1af4, cfg.read(PciHeaderLayout.SUBSYSTEM_VENDOR_ID_OFFSET, 2));
        assertTrue(cfg.bar(LEGACY_BAR).isIo());
        assertEquals(16, fn.legacyNotifyOffset());
    }

    @Test
    void shouldActivateWithLegacyRingLayoutWhenLinuxLegacyInit() {
        io(VirtioPciLayout.LEGACY_STATUS, 1, 0);
        io(VirtioPciLayout.LEGACY_STATUS, 1, ACKNOWLEDGE);
        io(VirtioPciLayout.LEGACY_STATUS, 1, ACKNOWLEDGE | DRIVER);
        long host = io(VirtioPciLayout.LEGACY_HOST_FEATURES, 4);
        assertEquals(FakeVirtioDevice.FEATURES & 0xffff_ffffL, host);
        io(VirtioPciLayout.LEGACY_GUEST_FEATURES, 4, host | 1L << 12);
        VirtioPciFunctionTest.enableMsix(fn, false);
        assertEquals(0x04030201L, io(VirtioPciLayout.LEGACY_CONFIG_MSIX, 4), "config moves to 24 with MSI-X");
        io(VirtioPciLayout.LEGACY_CONFIG_VECTOR, 2, 0);
        assertEquals(0, io(VirtioPciLayout.LEGACY_CONFIG_VECTOR, 2));
        for (int q = 0; q < 2; q++) {
            io(VirtioPciLayout.LEGACY_QUEUE_SELECT, 2, q);
            assertEquals(256, io(VirtioPciLayout.LEGACY_QUEUE_SIZE, 2));
            io(VirtioPciLayout.LEGACY_QUEUE_VECTOR, 2, q + 1);
            io(VirtioPciLayout.LEGACY_QUEUE_PFN, 4, 0x10 + 0x10 * q);
            assertEquals(0x10 + 0x10 * q, io(VirtioPciLayout.LEGACY_QUEUE_PFN, 4));
        }
        io(VirtioPciLayout.LEGACY_STATUS, 1, ACKNOWLEDGE | DRIVER | DRIVER_OK);

        assertTrue(fn.isActive());
        assertEquals(FakeVirtioDevice.FEATURES & 0xffff_ffffL, device.activatedFeatures);
        SplitQueue q1 = device.activatedQueues[1];
        assertTrue(q1.isReady());
        assertEquals(256, q1.size());
        assertEquals(0x20000, q1.descTableGpa());
        assertEquals(0x20000 + 16 * 256, q1.availRingGpa());
        assertEquals(0x20000 + 0x2000, q1.usedRingGpa(), "avail ends at 0x1206: used at the next 4 KiB");
        assertTrue(q1.eventIdx());

        List<Integer> notified = new ArrayList<>();
        fn.setNotifyListener(notified::add);
        io(VirtioPciLayout.LEGACY_QUEUE_NOTIFY, 2, 1);
        io(VirtioPciLayout.LEGACY_QUEUE_NOTIFY, 2, 5);
        assertEquals(List.of(1), notified);
    }

    @Test
    void shouldPlaceConfigAt20AndSetIsrWithoutMsix() {
        assertEquals(0x0201, io(VirtioPciLayout.LEGACY_CONFIG_NO_MSIX, 2));
        assertEquals(0x05, io(VirtioPciLayout.LEGACY_CONFIG_NO_MSIX + 4, 1));
        device.interrupt = fn.interrupt();
        fn.interrupt().signalConfigChange();
        assertEquals(VirtioPciLayout.ISR_CONFIG, io(VirtioPciLayout.LEGACY_ISR, 1));
        assertEquals(0, io(VirtioPciLayout.LEGACY_ISR, 1));
        assertEquals(List.of(), raised);
    }

    @Test
    void shouldNeverAcceptVersion1ThroughLegacy() {
        io(VirtioPciLayout.LEGACY_STATUS, 1, ACKNOWLEDGE | DRIVER);
        io(VirtioPciLayout.LEGACY_GUEST_FEATURES, 4, -1);
        assertEquals(0, fn.driverFeatures() & VirtioFeatures.VERSION_1);
        assertEquals(FakeVirtioDevice.FEATURES & 0xffff_ffffL, fn.driverFeatures());
    }

    @Test
    void shouldResetQueueWhenPfnZero() {
        io(VirtioPciLayout.LEGACY_QUEUE_SELECT, 2, 0);
        io(VirtioPciLayout.LEGACY_QUEUE_PFN, 4, 0x10);
        io(VirtioPciLayout.LEGACY_QUEUE_PFN, 4, 0);
        assertEquals(0, io(VirtioPciLayout.LEGACY_QUEUE_PFN, 4));
    }

    @Test
    void shouldNeverThrowOnHostileLegacyAccesses() {
        for (int sel : new int[] {0, 2, 0xffff}) {
            io(VirtioPciLayout.LEGACY_QUEUE_SELECT, 2, sel);
            for (int off = -2; off < 300; off++) {
                for (int size : new int[] {0, 1, 2, 3, 4, 8}) {
                    io(off, size);
                    io(off, size, -1L);
                }
            }
        }
    }
}
