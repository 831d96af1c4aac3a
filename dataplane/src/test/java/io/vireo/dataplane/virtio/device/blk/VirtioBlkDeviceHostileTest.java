package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.queue.MockGuestDriver.UsedElem;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.SplitRingLayout;
import io.vireo.sys.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.vireo.dataplane.virtio.device.blk.BlkRig.DATA;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.HDR;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.STATUS;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per rule on guest input (virtio 1.2 §5.2.6, §2.7): no exception escapes, the request gets the right status
 * (or used length 0 when it has no status byte), nothing is written where it must not be, and the queue goes on.
 */
class VirtioBlkDeviceHostileTest {
    private static final long DISK_SIZE = 1L << 20;
    private static final long CAPACITY = DISK_SIZE / 512;

    @TempDir
    Path dir;

    /** The request gets {@code status} with used length 1, and a following good request still succeeds. */
    private static void assertStatusAndQueueGoesOn(BlkRig rig, int head, int status, BlkRequestError kind) {
        long before = rig.dev.errors(kind);
        UsedElem u = rig.runOne(head);
        assertEquals(1, u.len(), "only the status byte was written");
        assertEquals(status, rig.status(STATUS));
        assertEquals(before + 1, rig.dev.errors(kind), kind.name());
        assertNextRequestSucceeds(rig);
    }

    private static void assertNextRequestSucceeds(BlkRig rig) {
        UsedElem ok = rig.runOne(rig.add(BlkRequest.T_IN, 0, DATA, 512, true));
        assertEquals(513, ok.len());
        assertEquals(BlkRequest.S_OK, rig.status(STATUS));
        assertTrue(rig.irq.resets.isEmpty());
    }

    @Test
    void shouldRefuseWritesWithIoerrWhenReadOnly() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        byte[] before = Files.readAllBytes(img);
        try (FileBackend be = new FileBackend(img, true); BlkRig rig = new BlkRig(be)) {
            assertTrue((rig.dev.deviceFeatures() & BlkFeatures.RO) != 0, "VIRTIO_BLK_F_RO offered");
            rig.at(DATA, 512).fill((byte) 0xee);
            assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_OUT, 0, DATA, 512, false), BlkRequest.S_IOERR,
                BlkRequestError.WRITE_TO_READ_ONLY);
            assertEquals(0, rig.dev.writes());
        }
        assertArrayEquals(before, Files.readAllBytes(img), "the file is unchanged");
    }

    @Test
    void shouldReturnIoerrWhenSectorIsAtCapacity() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_IN, CAPACITY, DATA, 512, true), BlkRequest.S_IOERR,
                BlkRequestError.SECTOR_OUT_OF_RANGE);
            assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_OUT, CAPACITY - 1, DATA, 1024, false),
                BlkRequest.S_IOERR, BlkRequestError.SECTOR_OUT_OF_RANGE);
        }
    }

    @Test
    void shouldReturnIoerrWhenSectorPlusLengthOverflows() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            for (long sector : new long[] {-1L, Long.MAX_VALUE, Long.MIN_VALUE, -(1L << 55), 1L << 55}) {
                assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_IN, sector, DATA, 4096, true),
                    BlkRequest.S_IOERR, BlkRequestError.SECTOR_OUT_OF_RANGE);
            }
        }
    }

    @Test
    void shouldReturnIoerrWhenLengthIsNotAMultipleOf512() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            rig.at(DATA, 1000).fill((byte) 0x11);
            assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_IN, 0, DATA, 1000, true), BlkRequest.S_IOERR,
                BlkRequestError.DATA_NOT_SECTOR_MULTIPLE);
            assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_OUT, 0, DATA, 511, false), BlkRequest.S_IOERR,
                BlkRequestError.DATA_NOT_SECTOR_MULTIPLE);
        }
    }

    @Test
    void shouldNotTouchGuestDataWhenInIsRefused() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            rig.at(DATA, 1024).fill((byte) 0x11);
            rig.runOne(rig.add(BlkRequest.T_IN, CAPACITY, DATA, 1024, true));
            byte[] want = new byte[1024];
            Arrays.fill(want, (byte) 0x11);
            assertArrayEquals(want, rig.at(DATA, 1024).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void shouldReturnUnsuppWhenTypeIsUnknown() {
        long withheld = BlkFeatures.DISCARD | BlkFeatures.WRITE_ZEROES;
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false), "x", withheld, false)) {
            // SCSI_CMD (2), GET_LIFETIME (10), DISCARD (11), WRITE_ZEROES (13): none negotiated; 42 and legacy BARRIER.
            for (int type : new int[] {2, 10, 11, 13, 42, 0x8000_0001}) {
                assertStatusAndQueueGoesOn(rig, rig.add(type, 0, DATA, 512, false), BlkRequest.S_UNSUPP,
                    BlkRequestError.UNSUPPORTED_TYPE);
            }
            assertEquals(6, rig.dev.unsupported());
        }
    }

    @Test
    void shouldReturnUnsuppWhenFlushIsNotNegotiated() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false), "x", BlkFeatures.FLUSH, true)) {
            assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_FLUSH, 0, 0, 0, false), BlkRequest.S_UNSUPP,
                BlkRequestError.FLUSH_NOT_NEGOTIATED);
            assertEquals(0, rig.dev.flushes());
        }
    }

    @Test
    void shouldCompleteWithUsedLenZeroWhenThereIsNoStatusByte() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            rig.header(HDR, BlkRequest.T_OUT, 0);
            int head = rig.driver.addChain(List.of(readable(HDR, 16), readable(DATA, 512)));
            assertEquals(0, rig.runOne(head).len());
            // A zero-length writable descriptor is no status byte either.
            rig.header(HDR, BlkRequest.T_FLUSH, 0);
            head = rig.driver.addChain(List.of(readable(HDR, 16), writable(STATUS, 0)));
            assertEquals(0, rig.runOne(head).len());
            assertEquals(2, rig.dev.errors(BlkRequestError.NO_STATUS));
            assertNextRequestSucceeds(rig);
        }
    }

    @Test
    void shouldReturnIoerrWhenHeaderIsShorterThan16Bytes() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            rig.header(HDR, BlkRequest.T_FLUSH, 0);
            rig.poisonStatus(STATUS);
            assertStatusAndQueueGoesOn(rig, rig.driver.addChain(List.of(readable(HDR, 12), writable(STATUS, 1))),
                BlkRequest.S_IOERR, BlkRequestError.HEADER_TOO_SHORT);
            // Header in a device-writable buffer: no readable header at all.
            rig.poisonStatus(STATUS);
            assertStatusAndQueueGoesOn(rig, rig.driver.addChain(List.of(writable(HDR, 16), writable(STATUS, 1))),
                BlkRequest.S_IOERR, BlkRequestError.HEADER_TOO_SHORT);
        }
    }

    @Test
    void shouldReturnIoerrWhenReadHasReadableDataOrWriteHasWritableData() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            rig.header(HDR, BlkRequest.T_IN, 0);
            rig.poisonStatus(STATUS);
            assertStatusAndQueueGoesOn(rig, rig.driver.addChain(List.of(readable(HDR, 16), readable(DATA, 512),
                writable(DATA + 4096, 512), writable(STATUS, 1))), BlkRequest.S_IOERR,
                BlkRequestError.READABLE_DATA_IN_DEVICE_WRITE);
            assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_OUT, 0, DATA, 512, true), BlkRequest.S_IOERR,
                BlkRequestError.WRITABLE_DATA_IN_WRITE);
            assertStatusAndQueueGoesOn(rig, rig.add(BlkRequest.T_GET_ID, 0, DATA, 20, false), BlkRequest.S_IOERR,
                BlkRequestError.READABLE_DATA_IN_DEVICE_WRITE);
        }
    }

    @Test
    void shouldReturnIoerrWhenBackendFails() {
        try (BlkRig rig = new BlkRig(new FailingBackend(new NullBackend(DISK_SIZE, false)))) {
            assertStatusAndQueueGoesOnWithFailingBackend(rig);
        }
    }

    private static void assertStatusAndQueueGoesOnWithFailingBackend(BlkRig rig) {
        UsedElem u = rig.runOne(rig.add(BlkRequest.T_IN, 0, DATA, 512, true));
        assertEquals(1, u.len());
        assertEquals(BlkRequest.S_IOERR, rig.status(STATUS));
        u = rig.runOne(rig.add(BlkRequest.T_FLUSH, 0, 0, 0, false));
        assertEquals(BlkRequest.S_IOERR, rig.status(STATUS));
        assertEquals(2, rig.dev.errors(BlkRequestError.BACKEND_ERROR));
        assertEquals(2, rig.dev.ioErrors());
    }

    @Test
    void shouldCompleteWithUsedLenZeroAndGoOnWhenChainLoops() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            int a = rig.driver.allocDesc();
            int b = rig.driver.allocDesc();
            rig.header(HDR, BlkRequest.T_IN, 0);
            rig.driver.writeDesc(a, HDR, 16, SplitRingLayout.VIRTQ_DESC_F_NEXT, b);
            // a -> b -> a -> ...: only the TTL (queue size) ends the walk (§2.7.5.2).
            rig.driver.writeDesc(b, DATA, 512, SplitRingLayout.VIRTQ_DESC_F_NEXT, a);
            rig.driver.submitHead(a);
            UsedElem u = rig.runOne(a);
            assertEquals(0, u.len());
            assertEquals(1, rig.dev.malformedChains());
            assertNextRequestSucceeds(rig);
        }
    }

    @Test
    void shouldCompleteWithUsedLenZeroWhenDataIsOutsideRam() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            rig.header(HDR, BlkRequest.T_IN, 0);
            UsedElem u = rig.runOne(rig.driver.addChain(List.of(readable(HDR, 16), writable(0x7000_0000L, 512),
                writable(STATUS, 1))));
            assertEquals(0, u.len());
            assertNextRequestSucceeds(rig);
        }
    }

    @Test
    void shouldAskForResetOnceAndStopWhenAvailIdxIsCorrupt() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            rig.driver.setAvailIdxRelease(BlkRig.QUEUE_SIZE + 5);
            rig.dev.processQueue(0);
            assertEquals(1, rig.irq.resets.size());
            assertTrue(rig.irq.resets.get(0).contains("AVAIL_IDX_CORRUPT"), rig.irq.resets.get(0));
            rig.dev.processQueue(0);
            assertEquals(1, rig.irq.resets.size(), "asked once");
            assertNull(rig.driver.takeUsed());
            assertEquals(1, rig.dev.queueResets());

            // After a device reset and a fresh activation the device serves again.
            rig.dev.reset();
            rig.queue.reset();
            rig.driver.configure(rig.queue, true, true);
            MemorySegment avail = rig.at(rig.driver.availGpa(), 4);
            avail.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) 0);
            assertEquals(QueueError.OK, rig.queue.enable());
            rig.dev.activate(rig.dev.deviceFeatures(), new SplitQueue[] {rig.queue}, rig.irq);
            UsedElem ok = rig.runOne(rig.add(BlkRequest.T_IN, 0, DATA, 512, true));
            assertEquals(513, ok.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertEquals(1, rig.irq.resets.size());
        }
    }

    @Test
    void shouldCompletePendingGoodRequestsWhenQueueBreaksAfterThem() {
        try (BlkRig rig = new BlkRig(new NullBackend(DISK_SIZE, false))) {
            int good = rig.add(BlkRequest.T_FLUSH, 0, 0, 0, false);
            rig.driver.submitHead(BlkRig.QUEUE_SIZE + 1);
            rig.driver.kick(true);
            rig.dev.processQueue(0);
            assertEquals(good, rig.driver.takeUsed().id());
            assertEquals(1, rig.irq.resets.size());
            assertTrue(rig.irq.resets.get(0).contains("HEAD_OUT_OF_RANGE"), rig.irq.resets.get(0));
        }
    }

    @Test
    void shouldDoNothingWhenNotActivated() {
        VirtioBlkDevice dev = new VirtioBlkDevice(new NullBackend(DISK_SIZE, false), "x");
        dev.processQueue(0);
        dev.processQueue(7);
        assertEquals(0, dev.requests());
    }

    /** A backend whose every I/O fails with EIO. */
    static final class FailingBackend extends SyncTestBackend {
        private final SyncTestBackend inner;

        FailingBackend(SyncTestBackend inner) {
            this.inner = inner;
        }

        @Override
        public long sizeBytes() {
            return inner.sizeBytes();
        }

        @Override
        public boolean readOnly() {
            return false;
        }

        @Override
        int read(long offset, MemorySegment dst) {
            return -Errno.EIO;
        }

        @Override
        int write(long offset, MemorySegment src) {
            return -Errno.EIO;
        }

        @Override
        int flush() {
            return -Errno.EIO;
        }

    }
}
