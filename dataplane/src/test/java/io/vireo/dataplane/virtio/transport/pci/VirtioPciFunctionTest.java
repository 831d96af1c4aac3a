package io.vireo.dataplane.virtio.transport.pci;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.pci.MsixLayout;
import io.vireo.dataplane.pci.PciHeaderLayout;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.TestGuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static io.vireo.dataplane.virtio.VirtioFeatures.ACKNOWLEDGE;
import static io.vireo.dataplane.virtio.VirtioFeatures.DEVICE_NEEDS_RESET;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER_OK;
import static io.vireo.dataplane.virtio.VirtioFeatures.FEATURES_OK;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.CONFIG_GENERATION;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.CONFIG_MSIX_VECTOR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.DEVICE_FEATURE;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.DEVICE_FEATURE_SELECT;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.DEVICE_STATUS;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.DRIVER_FEATURE;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.DRIVER_FEATURE_SELECT;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MODERN_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MSIX_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.NO_VECTOR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.NUM_QUEUES;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.QUEUE_DESC_LO;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.QUEUE_DEVICE_LO;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.QUEUE_DRIVER_LO;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.QUEUE_ENABLE;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.QUEUE_MSIX_VECTOR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.QUEUE_NOTIFY_OFF;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.QUEUE_SELECT;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.QUEUE_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioPciFunctionTest {
    private static final long NEGOTIATED = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_EVENT_IDX | 1L << 6;

    private final Arena arena = Arena.ofConfined();
    private final GuestMemory memory = TestGuestMemory.create(arena);
    private final List<Integer> raised = new ArrayList<>();
    private final FakeVirtioDevice device = new FakeVirtioDevice();
    private final VirtioPciFunction fn = new VirtioPciFunction(device, memory, raised::add, false);

    @AfterEach
    void close() {
        arena.close();
    }

    // ---- a driver's view -------------------------------------------------------------------------------

    static long common(VirtioPciFunction f, int off, int size) {
        return f.readBar(MODERN_BAR, VirtioPciLayout.COMMON_CFG_OFFSET + off, size);
    }

    static void common(VirtioPciFunction f, int off, int size, long v) {
        f.writeBar(MODERN_BAR, VirtioPciLayout.COMMON_CFG_OFFSET + off, size, v);
    }

    static void status(VirtioPciFunction f, int bits) {
        common(f, DEVICE_STATUS, 1, bits);
    }

    static int status(VirtioPciFunction f) {
        return (int) common(f, DEVICE_STATUS, 1);
    }

    static void driverFeatures(VirtioPciFunction f, long features) {
        common(f, DRIVER_FEATURE_SELECT, 4, 0);
        common(f, DRIVER_FEATURE, 4, features & 0xffff_ffffL);
        common(f, DRIVER_FEATURE_SELECT, 4, 1);
        common(f, DRIVER_FEATURE, 4, features >>> 32);
    }

    static long deviceFeatures(VirtioPciFunction f) {
        common(f, DEVICE_FEATURE_SELECT, 4, 0);
        long lo = common(f, DEVICE_FEATURE, 4);
        common(f, DEVICE_FEATURE_SELECT, 4, 1);
        return lo | common(f, DEVICE_FEATURE, 4) << 32;
    }

    static void setupQueue(VirtioPciFunction f, int q, MockGuestDriver ring, int vector) {
        common(f, QUEUE_SELECT, 2, q);
        common(f, QUEUE_SIZE, 2, ring.size());
        common(f, QUEUE_MSIX_VECTOR, 2, vector);
        common(f, QUEUE_DESC_LO, 4, ring.descGpa());
        common(f, QUEUE_DESC_LO + 4, 4, ring.descGpa() >>> 32);
        common(f, QUEUE_DRIVER_LO, 4, ring.availGpa());
        common(f, QUEUE_DRIVER_LO + 4, 4, ring.availGpa() >>> 32);
        common(f, QUEUE_DEVICE_LO, 4, ring.usedGpa());
        common(f, QUEUE_DEVICE_LO + 4, 4, ring.usedGpa() >>> 32);
        common(f, QUEUE_ENABLE, 2, 1);
    }

    static void enableMsix(VirtioPciFunction f, boolean functionMasked) {
        int control = MsixLayout.CONTROL_ENABLE | (functionMasked ? MsixLayout.CONTROL_FUNCTION_MASK : 0);
        f.writeConfig(f.msix().capabilityOffset() + MsixLayout.MESSAGE_CONTROL_OFFSET, 2, control);
    }

    static void maskVector(VirtioPciFunction f, int vector, boolean masked) {
        f.writeBar(MSIX_BAR, (long) vector * MsixLayout.ENTRY_SIZE + MsixLayout.ENTRY_ADDRESS_LO_OFFSET, 4,
            0xfee0_0000L);
        f.writeBar(MSIX_BAR, (long) vector * MsixLayout.ENTRY_SIZE + MsixLayout.ENTRY_VECTOR_CONTROL_OFFSET, 4,
            masked ? 1 : 0);
    }

    /** What Linux's virtio_pci_modern + virtio core do, up to DRIVER_OK; returns the two rings. */
    private MockGuestDriver[] linuxInit(VirtioPciFunction f, GuestMemory mem, long features) {
        status(f, 0);
        status(f, ACKNOWLEDGE);
        status(f, ACKNOWLEDGE | DRIVER);
        driverFeatures(f, features);
        status(f, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assertEquals(ACKNOWLEDGE | DRIVER | FEATURES_OK, status(f));
        enableMsix(f, false);
        common(f, CONFIG_MSIX_VECTOR, 2, 0);
        MockGuestDriver[] rings = {MockGuestDriver.linux(mem, 0x10000, 128), MockGuestDriver.linux(mem, 0x20000, 256)};
        for (int q = 0; q < rings.length; q++) {
            setupQueue(f, q, rings[q], q + 1);
        }
        status(f, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
        return rings;
    }

    // ---- tests -----------------------------------------------------------------------------------------

    @Test
    void shouldPresentModernIdsBarsAndCapabilities() {
        var cfg = fn.config();
        assertEquals(0x1af4, cfg.vendorId());
        assertEquals(0x1042, cfg.deviceId());
        assertEquals(0x018000, cfg.classCode());
        assertEquals(1, cfg.read(PciHeaderLayout.REVISION_ID_OFFSET, 1));
        assertTrue(cfg.bar(MODERN_BAR) != null && !cfg.bar(MODERN_BAR).is64Bit() && !cfg.bar(MODERN_BAR).isIo());
        assertTrue(cfg.bar(MSIX_BAR) != null && !cfg.bar(MSIX_BAR).isIo());
        assertNull(cfg.bar(0));
        List<Integer> types = new ArrayList<>();
        for (int cap = cfg.read(PciHeaderLayout.CAPABILITIES_POINTER_OFFSET, 1); cap != 0;
            cap = cfg.read(cap + 1, 1)) {
            if (cfg.read(cap, 1) == VirtioPciLayout.CAP_ID_VENDOR) {
                types.add(cfg.read(cap + VirtioPciLayout.CAP_CFG_TYPE, 1));
                if (cfg.read(cap + VirtioPciLayout.CAP_CFG_TYPE, 1) == VirtioPciLayout.CFG_TYPE_NOTIFY) {
                    assertEquals(4, cfg.read(cap + VirtioPciLayout.PCI_CFG_DATA, 4));
                    assertEquals(0x3000, cfg.read(cap + VirtioPciLayout.CAP_OFFSET, 4));
                }
            }
        }
        assertEquals(List.of(1, 2, 3, 4, 5), types);
        assertEquals(0x3000 + 4, fn.notifyOffset(1));
        assertEquals(MODERN_BAR, fn.notifyBar());
    }

    @Test
    void shouldActivateWithQueueAddressesAndFeaturesWhenLinuxInitSequence() {
        assertEquals(FakeVirtioDevice.FEATURES & ~VirtioFeatures.RING_RESET, deviceFeatures(fn));
        assertEquals(2, common(fn, NUM_QUEUES, 2));
        MockGuestDriver[] rings = linuxInit(fn, memory, NEGOTIATED);

        assertTrue(fn.isActive());
        assertTrue(device.calls.contains("activate"));
        assertEquals(NEGOTIATED, device.activatedFeatures);
        for (int q = 0; q < 2; q++) {
            SplitQueue sq = device.activatedQueues[q];
            assertTrue(sq.isReady());
            assertEquals(rings[q].size(), sq.size());
            assertEquals(rings[q].descGpa(), sq.descTableGpa());
            assertEquals(rings[q].availGpa(), sq.availRingGpa());
            assertEquals(rings[q].usedGpa(), sq.usedRingGpa());
            assertTrue(sq.eventIdx());
        }
        assertEquals(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK, status(fn));
    }

    @Test
    void shouldRefuseFeaturesOkWhenDriverAcceptsUnofferedFeature() {
        status(fn, ACKNOWLEDGE | DRIVER);
        driverFeatures(fn, NEGOTIATED | 1L << 10);
        status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assertEquals(ACKNOWLEDGE | DRIVER, status(fn));
    }

    @Test
    void shouldRefuseFeaturesOkWhenVersion1Missing() {
        status(fn, ACKNOWLEDGE | DRIVER);
        driverFeatures(fn, VirtioFeatures.RING_EVENT_IDX);
        status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assertEquals(0, status(fn) & FEATURES_OK);
    }

    @Test
    void shouldRefuseFeaturesOkWhenDriverAcceptsMaskedRingReset() {
        status(fn, ACKNOWLEDGE | DRIVER);
        driverFeatures(fn, VirtioFeatures.VERSION_1 | VirtioFeatures.RING_RESET);
        status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assertEquals(0, status(fn) & FEATURES_OK);
    }

    @Test
    void shouldIgnoreFeatureWritesAfterFeaturesOk() {
        status(fn, ACKNOWLEDGE | DRIVER);
        driverFeatures(fn, VirtioFeatures.VERSION_1);
        status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        driverFeatures(fn, NEGOTIATED);
        common(fn, DRIVER_FEATURE_SELECT, 4, 0);
        assertEquals(0, common(fn, DRIVER_FEATURE, 4));
        assertEquals(VirtioFeatures.VERSION_1, fn.driverFeatures());
    }

    @Test
    void shouldNotActivateWhenDriverOkWithoutFeaturesOk() {
        status(fn, ACKNOWLEDGE | DRIVER | DRIVER_OK);
        assertFalse(fn.isActive());
        assertEquals(DEVICE_NEEDS_RESET, status(fn) & DEVICE_NEEDS_RESET);
    }

    @Test
    void shouldClearEverythingWhenStatusZero() {
        linuxInit(fn, memory, NEGOTIATED);
        int generation = (int) common(fn, CONFIG_GENERATION, 1);
        device.interrupt.signalUsed(0);
        status(fn, 0);

        assertFalse(fn.isActive());
        assertEquals("reset", device.calls.get(device.calls.size() - 1));
        assertEquals(0, status(fn));
        assertEquals(0, fn.driverFeatures());
        assertEquals(NO_VECTOR, common(fn, CONFIG_MSIX_VECTOR, 2));
        assertEquals(0, common(fn, QUEUE_SELECT, 2));
        assertEquals(generation + 1, common(fn, CONFIG_GENERATION, 1));
        for (int q = 0; q < 2; q++) {
            common(fn, QUEUE_SELECT, 2, q);
            assertEquals(256, common(fn, QUEUE_SIZE, 2));
            assertEquals(0, common(fn, QUEUE_ENABLE, 2));
            assertEquals(NO_VECTOR, common(fn, QUEUE_MSIX_VECTOR, 2));
            assertEquals(0, common(fn, QUEUE_DESC_LO, 4));
            assertEquals(0, common(fn, QUEUE_DRIVER_LO, 4));
            assertEquals(0, common(fn, QUEUE_DEVICE_LO, 4));
        }
        assertEquals(0, fn.readBar(MODERN_BAR, VirtioPciLayout.ISR_CFG_OFFSET, 1));
        assertNull(fn.activeQueues());
    }

    @Test
    void shouldAcceptOnlyPowerOfTwoQueueSizesUpToMax() {
        common(fn, QUEUE_SELECT, 2, 1);
        common(fn, QUEUE_SIZE, 2, 64);
        assertEquals(64, common(fn, QUEUE_SIZE, 2));
        common(fn, QUEUE_SIZE, 2, 100);
        assertEquals(64, common(fn, QUEUE_SIZE, 2));
        common(fn, QUEUE_SIZE, 2, 512);
        assertEquals(64, common(fn, QUEUE_SIZE, 2));
        common(fn, QUEUE_SIZE, 2, 0);
        assertEquals(64, common(fn, QUEUE_SIZE, 2));
        common(fn, QUEUE_ENABLE, 2, 1);
        common(fn, QUEUE_SIZE, 2, 32);
        assertEquals(64, common(fn, QUEUE_SIZE, 2), "size is fixed once the queue is enabled");
        common(fn, QUEUE_SELECT, 2, 0);
        assertEquals(256, common(fn, QUEUE_SIZE, 2));
    }

    @Test
    void shouldReadNoVectorWhenVectorOutsideTable() {
        common(fn, QUEUE_SELECT, 2, 0);
        common(fn, QUEUE_MSIX_VECTOR, 2, 3);
        assertEquals(NO_VECTOR, common(fn, QUEUE_MSIX_VECTOR, 2));
        common(fn, QUEUE_MSIX_VECTOR, 2, 2);
        assertEquals(2, common(fn, QUEUE_MSIX_VECTOR, 2));
        common(fn, CONFIG_MSIX_VECTOR, 2, 0x7fff);
        assertEquals(NO_VECTOR, common(fn, CONFIG_MSIX_VECTOR, 2));
    }

    @Test
    void shouldCallNotifyListenerWithQueueWhenNotifyRegionWritten() {
        List<Integer> notified = new ArrayList<>();
        fn.setNotifyListener(notified::add);
        fn.writeBar(MODERN_BAR, fn.notifyOffset(1), 2, 1);
        assertEquals(List.of(), notified, "not before DRIVER_OK");
        linuxInit(fn, memory, NEGOTIATED);
        common(fn, QUEUE_SELECT, 2, 1);
        assertEquals(1, common(fn, QUEUE_NOTIFY_OFF, 2));
        fn.writeBar(MODERN_BAR, fn.notifyOffset(1), 2, 1);
        fn.writeBar(MODERN_BAR, fn.notifyOffset(0), 2, 0);
        fn.writeBar(MODERN_BAR, fn.notifyOffset(2), 2, 2);
        fn.writeBar(MODERN_BAR, fn.notifyOffset(0) + 1, 1, 0);
        assertEquals(List.of(1, 0), notified);
    }

    @Test
    void shouldProcessQueueInlineWhenNoListenerSet() {
        linuxInit(fn, memory, NEGOTIATED);
        fn.writeBar(MODERN_BAR, fn.notifyOffset(0), 2, 0);
        assertEquals("process 0", device.calls.get(device.calls.size() - 1));
    }

    @Test
    void shouldSetIsrAndClearOnReadWhenNoVector() {
        linuxInit(fn, memory, NEGOTIATED);
        common(fn, QUEUE_SELECT, 2, 0);
        common(fn, QUEUE_MSIX_VECTOR, 2, NO_VECTOR);
        common(fn, CONFIG_MSIX_VECTOR, 2, NO_VECTOR);
        device.interrupt.signalUsed(0);
        device.interrupt.signalConfigChange();
        assertEquals(List.of(), raised);
        assertEquals(3, fn.readBar(MODERN_BAR, VirtioPciLayout.ISR_CFG_OFFSET, 1));
        assertEquals(0, fn.readBar(MODERN_BAR, VirtioPciLayout.ISR_CFG_OFFSET, 1));
    }

    @Test
    void shouldAssertIntxUntilIsrIsReadWhenThereIsNoVector() {
        List<Boolean> line = new java.util.ArrayList<>();
        fn.setIntx(line::add);
        assertEquals(1, fn.readConfig(0x3d, 1), "interrupt pin INTA#");
        linuxInit(fn, memory, NEGOTIATED);
        common(fn, QUEUE_SELECT, 2, 0);
        common(fn, QUEUE_MSIX_VECTOR, 2, NO_VECTOR);
        device.interrupt.signalUsed(0);
        device.interrupt.signalUsed(0);
        assertEquals(List.of(true), line, "asserted once while ISR is set");
        assertEquals(1, fn.readBar(MODERN_BAR, VirtioPciLayout.ISR_CFG_OFFSET, 1));
        assertEquals(List.of(true, false), line, "the ISR read deasserts");
        fn.writeConfig(0x04, 2, fn.readConfig(0x04, 2) | 0x400); // INTx disable
        device.interrupt.signalUsed(0);
        assertEquals(List.of(true, false), line, "INTx disabled: ISR only");
        assertEquals(1, fn.readBar(MODERN_BAR, VirtioPciLayout.ISR_CFG_OFFSET, 1));
    }

    @Test
    void shouldRaiseQueueVectorWhenUnmasked() {
        linuxInit(fn, memory, NEGOTIATED);
        maskVector(fn, 2, false);
        device.interrupt.signalUsed(1);
        assertEquals(List.of(2), raised);
        assertEquals(0, fn.readBar(MODERN_BAR, VirtioPciLayout.ISR_CFG_OFFSET, 1));
    }

    @Test
    void shouldHoldPendingWhenMaskedThenDeliverOnUnmask() {
        linuxInit(fn, memory, NEGOTIATED);
        device.interrupt.signalUsed(0);
        assertEquals(List.of(), raised);
        assertTrue(fn.msix().table().isPending(1));
        maskVector(fn, 1, false);
        assertEquals(List.of(1), raised);
        assertFalse(fn.msix().table().isPending(1));
    }

    @Test
    void shouldHoldPendingWhenFunctionMasked() {
        linuxInit(fn, memory, NEGOTIATED);
        maskVector(fn, 0, false);
        enableMsix(fn, true);
        int generation = (int) common(fn, CONFIG_GENERATION, 1);
        device.interrupt.signalConfigChange();
        assertEquals(generation + 1, common(fn, CONFIG_GENERATION, 1));
        assertEquals(List.of(), raised);
        enableMsix(fn, false);
        assertEquals(List.of(0), raised);
    }

    @Test
    void shouldNeedResetWhenRingOutsideRamAndLeaveOtherFunctionAlone() {
        FakeVirtioDevice otherDevice = new FakeVirtioDevice();
        List<Integer> otherRaised = new ArrayList<>();
        VirtioPciFunction other = new VirtioPciFunction(otherDevice, memory, otherRaised::add, false);

        status(fn, ACKNOWLEDGE | DRIVER);
        driverFeatures(fn, NEGOTIATED);
        status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        enableMsix(fn, false);
        maskVector(fn, 0, false);
        common(fn, CONFIG_MSIX_VECTOR, 2, 0);
        common(fn, QUEUE_SELECT, 2, 0);
        common(fn, QUEUE_DESC_LO, 4, 0x2000_0000L);
        common(fn, QUEUE_DRIVER_LO, 4, 0x2000_1000L);
        common(fn, QUEUE_DEVICE_LO, 4, 0x2000_2000L);
        common(fn, QUEUE_ENABLE, 2, 1);
        status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);

        assertFalse(fn.isActive());
        assertFalse(device.calls.contains("activate"));
        assertEquals(DEVICE_NEEDS_RESET, status(fn) & DEVICE_NEEDS_RESET);
        assertEquals(List.of(0), raised);

        linuxInit(other, memory, NEGOTIATED);
        assertTrue(other.isActive());
        assertEquals(0, status(other) & DEVICE_NEEDS_RESET);
        assertEquals(List.of(), otherRaised);

        status(fn, 0);
        assertEquals(0, status(fn));
    }

    @Test
    void shouldSetNeedsResetAndRaiseConfigWhenDeviceReportsCorruptQueue() {
        linuxInit(fn, memory, NEGOTIATED);
        maskVector(fn, 0, false);
        device.interrupt.needsReset("test");
        assertEquals(DEVICE_NEEDS_RESET, status(fn) & DEVICE_NEEDS_RESET);
        assertEquals(List.of(0), raised);
        status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK | FEATURES_OK);
        assertEquals(DEVICE_NEEDS_RESET, status(fn) & DEVICE_NEEDS_RESET, "driver cannot clear it but by reset");
    }

    @Test
    void shouldReadDeviceConfigAtNaturalWidths() {
        assertEquals(0x0403, fn.readBar(MODERN_BAR, VirtioPciLayout.DEVICE_CFG_OFFSET + 2, 2));
        assertEquals(0x08070605L, fn.readBar(MODERN_BAR, VirtioPciLayout.DEVICE_CFG_OFFSET + 4, 4));
        assertEquals(0, fn.readBar(MODERN_BAR, VirtioPciLayout.DEVICE_CFG_OFFSET + 1, 2));
        assertEquals(0, fn.readBar(MODERN_BAR, VirtioPciLayout.DEVICE_CFG_OFFSET + 8, 1));
        assertEquals(0, fn.readBar(MODERN_BAR, VirtioPciLayout.DEVICE_CFG_OFFSET + 6, 4));
        fn.writeBar(MODERN_BAR, VirtioPciLayout.DEVICE_CFG_OFFSET + 4, 4, 0x1234);
        fn.writeBar(MODERN_BAR, VirtioPciLayout.DEVICE_CFG_OFFSET + 6, 4, 0x1234);
        assertEquals(List.of("writeConfig 4 4 0x1234"), device.calls);
    }

    @Test
    void shouldReachCommonConfigThroughPciCfgWindow() {
        int cap = pciCfgCap(fn);
        fn.writeConfig(cap + VirtioPciLayout.CAP_BAR, 1, MODERN_BAR);
        fn.writeConfig(cap + VirtioPciLayout.CAP_OFFSET, 4, NUM_QUEUES);
        fn.writeConfig(cap + VirtioPciLayout.CAP_LENGTH, 4, 2);
        assertEquals(2, fn.readConfig(cap + VirtioPciLayout.PCI_CFG_DATA, 4));
        fn.writeConfig(cap + VirtioPciLayout.CAP_OFFSET, 4, DEVICE_STATUS);
        fn.writeConfig(cap + VirtioPciLayout.CAP_LENGTH, 4, 1);
        fn.writeConfig(cap + VirtioPciLayout.PCI_CFG_DATA, 1, ACKNOWLEDGE);
        assertEquals(ACKNOWLEDGE, status(fn));
        fn.writeConfig(cap + VirtioPciLayout.CAP_LENGTH, 4, 3);
        assertEquals(0, fn.readConfig(cap + VirtioPciLayout.PCI_CFG_DATA, 4));
    }

    static int pciCfgCap(VirtioPciFunction f) {
        var cfg = f.config();
        for (int cap = cfg.read(PciHeaderLayout.CAPABILITIES_POINTER_OFFSET, 1); cap != 0;
            cap = cfg.read(cap + 1, 1)) {
            if (cfg.read(cap, 1) == VirtioPciLayout.CAP_ID_VENDOR
                && cfg.read(cap + VirtioPciLayout.CAP_CFG_TYPE, 1) == VirtioPciLayout.CFG_TYPE_PCI) {
                return cap;
            }
        }
        throw new AssertionError("no PCI_CFG capability");
    }

    @Test
    void shouldNeverThrowOnHostileAccesses() {
        linuxInit(fn, memory, NEGOTIATED);
        long[] offsets = {-1, 0, 1, 3, 0x13, 0x15, 0x17, 0x1f, 0x3b, 0x3c, 0xfff, 0x1000, 0x1001, 0x2007, 0x2008,
            0x2fff, 0x3000, 0x3002, 0x3008, 0x3ffc, 0x4000, 0x4001, Long.MAX_VALUE, Long.MIN_VALUE};
        int[] sizes = {-1, 0, 1, 2, 3, 4, 5, 8, 16, Integer.MAX_VALUE};
        for (int bar = -1; bar <= 6; bar++) {
            for (long off : offsets) {
                for (int size : sizes) {
                    fn.readBar(bar, off, size);
                    fn.writeBar(bar, off, size, -1L);
                }
            }
        }
        for (int sel : new int[] {2, 0x7fff, 0xffff}) {
            status(fn, 0);
            common(fn, QUEUE_SELECT, 2, sel);
            for (int off = 0; off < 0x40; off++) {
                for (int size : new int[] {1, 2, 4, 8}) {
                    common(fn, off, size);
                    common(fn, off, size, -1L);
                }
            }
            common(fn, QUEUE_SELECT, 2, sel);
            assertEquals(0, common(fn, QUEUE_SIZE, 2));
            assertEquals(0, common(fn, QUEUE_ENABLE, 2));
            assertEquals(NO_VECTOR, common(fn, QUEUE_MSIX_VECTOR, 2));
        }
        common(fn, DEVICE_FEATURE_SELECT, 4, 7);
        assertEquals(0, common(fn, DEVICE_FEATURE, 4));
        device.interrupt.signalUsed(-1);
        device.interrupt.signalUsed(99);
        for (int off = -1; off < 260; off++) {
            for (int size : sizes) {
                fn.readConfig(off, size);
                fn.writeConfig(off, size, -1);
            }
        }
    }

    @Test
    void shouldKeepActiveQueuesAfterLateQueueWrites() {
        MockGuestDriver[] rings = linuxInit(fn, memory, NEGOTIATED);
        common(fn, QUEUE_SELECT, 2, 0);
        common(fn, QUEUE_DESC_LO, 4, 0x9000);
        assertEquals(rings[0].descGpa(), common(fn, QUEUE_DESC_LO, 4));
        assertArrayEquals(device.activatedQueues, fn.activeQueues());
    }
}
