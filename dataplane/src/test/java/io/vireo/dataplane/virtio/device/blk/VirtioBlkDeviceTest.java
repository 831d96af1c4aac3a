package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.UsedElem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.vireo.dataplane.virtio.device.blk.BlkRig.DATA;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.HDR;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.STATUS;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.TABLE;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Well-behaved requests against a file: data lands where it should, on the disk and in guest RAM. */
class VirtioBlkDeviceTest {
    private static final long DISK_SIZE = 2L << 20;

    @TempDir
    Path dir;

    private byte[] guest(BlkRig rig, long gpa, int len) {
        return rig.at(gpa, len).toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] fileRange(Path p, long off, int len) throws IOException {
        return Arrays.copyOfRange(Files.readAllBytes(p), (int) off, (int) off + len);
    }

    @Test
    void shouldReadSectorsWhenInRequest() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        try (FileBackend be = new FileBackend(img, false); BlkRig rig = new BlkRig(be)) {
            int head = rig.add(BlkRequest.T_IN, 10, DATA, 8 * 512, true);
            UsedElem u = rig.runOne(head);
            assertEquals(8 * 512 + 1, u.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertArrayEquals(fileRange(img, 10 * 512, 8 * 512), guest(rig, DATA, 8 * 512));
            assertEquals(1, rig.dev.reads());
            assertEquals(8 * 512, rig.dev.bytesRead());
        }
    }

    @Test
    void shouldReadTheLastSectorWhenRangeEndsAtCapacity() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        try (FileBackend be = new FileBackend(img, false); BlkRig rig = new BlkRig(be)) {
            long last = DISK_SIZE / 512 - 1;
            UsedElem u = rig.runOne(rig.add(BlkRequest.T_IN, last, DATA, 512, true));
            assertEquals(513, u.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertArrayEquals(fileRange(img, last * 512, 512), guest(rig, DATA, 512));
        }
    }

    @Test
    void shouldWriteToTheFileAndReadBackWhenOutThenIn() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        try (FileBackend be = new FileBackend(img, false); BlkRig rig = new BlkRig(be)) {
            byte[] data = new byte[3 * 512];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (0xa5 ^ i);
            }
            MemorySegment.copy(data, 0, rig.at(DATA, data.length), ValueLayout.JAVA_BYTE, 0, data.length);
            UsedElem w = rig.runOne(rig.add(BlkRequest.T_OUT, 5, DATA, data.length, false));
            assertEquals(1, w.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertArrayEquals(data, fileRange(img, 5 * 512, data.length));
            assertArrayEquals(expectedPattern(0, 5 * 512), fileRange(img, 0, 5 * 512), "bytes before are untouched");
            assertArrayEquals(expectedPattern(8 * 512, 512), fileRange(img, 8 * 512, 512), "bytes after too");

            long back = DATA + 0x100000;
            UsedElem r = rig.runOne(rig.add(BlkRequest.T_IN, 5, back, data.length, true));
            assertEquals(data.length + 1, r.len());
            assertArrayEquals(data, guest(rig, back, data.length));
            assertEquals(1, rig.dev.writes());
            assertEquals(data.length, rig.dev.bytesWritten());
        }
    }

    private static byte[] expectedPattern(long off, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = BlkRig.pattern(off + i);
        }
        return b;
    }

    @Test
    void shouldCompleteFlushWhenNegotiated() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        try (FileBackend be = new FileBackend(img, false); BlkRig rig = new BlkRig(be)) {
            UsedElem u = rig.runOne(rig.add(BlkRequest.T_FLUSH, 0, 0, 0, false));
            assertEquals(1, u.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertEquals(1, rig.dev.flushes());
        }
    }

    @Test
    void shouldFlushEveryWriteWhenFlushIsNotNegotiated() {
        CountingBackend be = new CountingBackend(new NullBackend(1 << 20, false));
        try (BlkRig rig = new BlkRig(be, "x", BlkFeatures.FLUSH, true)) {
            rig.runOne(rig.add(BlkRequest.T_OUT, 0, DATA, 512, false));
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertEquals(1, be.flushes, "writethrough: FLUSH offered but not negotiated (§5.2.6)");
        }
        CountingBackend be2 = new CountingBackend(new NullBackend(1 << 20, false));
        try (BlkRig rig = new BlkRig(be2)) {
            rig.runOne(rig.add(BlkRequest.T_OUT, 0, DATA, 512, false));
            assertEquals(0, be2.flushes, "writeback when FLUSH is negotiated");
        }
    }

    @Test
    void shouldReturnTheSerialWhenGetIdAndSerialIsTwentyBytes() {
        String serial = "ABCDEFGHIJ0123456789";
        try (BlkRig rig = new BlkRig(new NullBackend(1 << 20, false), serial, 0, true)) {
            rig.at(DATA, 32).fill((byte) 0x77);
            UsedElem u = rig.runOne(rig.add(BlkRequest.T_GET_ID, 0, DATA, 20, true));
            assertEquals(21, u.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertArrayEquals(serial.getBytes(), guest(rig, DATA, 20), "exactly 20 bytes: no NUL terminator");
            assertEquals(0x77, rig.at(DATA + 20, 1).get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(1, rig.dev.getIds());
        }
    }

    @Test
    void shouldPadWithNulWhenGetIdAndSerialIsShorter() {
        try (BlkRig rig = new BlkRig(new NullBackend(1 << 20, false), "disk7", 0, true)) {
            rig.at(DATA, 20).fill((byte) 0x77);
            UsedElem u = rig.runOne(rig.add(BlkRequest.T_GET_ID, 0, DATA, 20, true));
            assertEquals(21, u.len());
            byte[] want = new byte[20];
            System.arraycopy("disk7".getBytes(), 0, want, 0, 5);
            assertArrayEquals(want, guest(rig, DATA, 20));
        }
    }

    @Test
    void shouldWriteOnlyTheBufferWhenGetIdBufferIsShorterThanTwenty() {
        try (BlkRig rig = new BlkRig(new NullBackend(1 << 20, false), "ABCDEFGHIJ0123456789", 0, true)) {
            rig.at(DATA, 20).fill((byte) 0x77);
            UsedElem u = rig.runOne(rig.add(BlkRequest.T_GET_ID, 0, DATA, 8, true));
            assertEquals(9, u.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertArrayEquals("ABCDEFGH".getBytes(), guest(rig, DATA, 8));
            assertEquals(0x77, rig.at(DATA + 8, 1).get(ValueLayout.JAVA_BYTE, 0), "nothing past the buffer");
        }
    }

    @Test
    void shouldGatherTheHeaderWhenItIsSplitAcrossDescriptors() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        try (FileBackend be = new FileBackend(img, false); BlkRig rig = new BlkRig(be)) {
            // Header pieces scattered in RAM: 4 + 4 + 8 bytes, each in its own descriptor.
            rig.header(HDR, BlkRequest.T_IN, 3);
            MemorySegment.copy(rig.at(HDR, 16), 4, rig.at(HDR + 0x100, 4), 0, 4);
            MemorySegment.copy(rig.at(HDR, 16), 8, rig.at(HDR + 0x200, 8), 0, 8);
            rig.at(HDR + 4, 12).fill((byte) 0xff);
            rig.poisonStatus(STATUS);
            int head = rig.driver.addChain(List.of(readable(HDR, 4), readable(HDR + 0x100, 4),
                readable(HDR + 0x200, 8), writable(DATA, 512), writable(STATUS, 1)));
            UsedElem u = rig.runOne(head);
            assertEquals(513, u.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertArrayEquals(fileRange(img, 3 * 512, 512), guest(rig, DATA, 512));
        }
    }

    @Test
    void shouldFindDataAndStatusWhenTheyShareBuffersWithHeaderOrEachOther() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        try (FileBackend be = new FileBackend(img, false); BlkRig rig = new BlkRig(be)) {
            // OUT: header and data in one readable buffer (§2.7.4.1, no framing assumed).
            rig.header(DATA, BlkRequest.T_OUT, 7);
            rig.at(DATA + 16, 1024).fill((byte) 0x3c);
            rig.poisonStatus(STATUS);
            UsedElem w = rig.runOne(rig.driver.addChain(List.of(readable(DATA, 16 + 1024), writable(STATUS, 1))));
            assertEquals(1, w.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            byte[] want = new byte[1024];
            Arrays.fill(want, (byte) 0x3c);
            assertArrayEquals(want, fileRange(img, 7 * 512, 1024));

            // IN: data and status in one writable buffer of 512 + 1 bytes.
            long buf = DATA + 0x10000;
            rig.header(HDR, BlkRequest.T_IN, 7);
            rig.poisonStatus(buf + 512);
            UsedElem r = rig.runOne(rig.driver.addChain(List.of(readable(HDR, 16), writable(buf, 513))));
            assertEquals(513, r.len());
            assertEquals(BlkRequest.S_OK, rig.status(buf + 512));
            assertArrayEquals(Arrays.copyOf(want, 512), guest(rig, buf, 512));
        }
    }

    @Test
    void shouldServeTheRequestWhenChainIsIndirect() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        try (FileBackend be = new FileBackend(img, false); BlkRig rig = new BlkRig(be)) {
            rig.header(HDR, BlkRequest.T_IN, 100);
            rig.poisonStatus(STATUS);
            List<Buf> bufs = new ArrayList<>();
            bufs.add(readable(HDR, 16));
            for (int i = 0; i < 4; i++) {
                bufs.add(writable(DATA + i * 0x2000L, 1024));
            }
            bufs.add(writable(STATUS, 1));
            UsedElem u = rig.runOne(rig.driver.addIndirectChain(TABLE, bufs));
            assertEquals(4096 + 1, u.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(fileRange(img, 100 * 512 + i * 1024L, 1024), guest(rig, DATA + i * 0x2000L, 1024));
            }
        }
    }

    @Test
    void shouldEqualTheFileWhenOneMibIsReadIn256SectorChunks() throws IOException {
        Path img = BlkRig.disk(dir, DISK_SIZE);
        int chunk = 256 * 512;
        int page = 4096;
        try (FileBackend be = new FileBackend(img, false); BlkRig rig = new BlkRig(be)) {
            // Eight requests in one batch, each an indirect table of a header, 32 page-sized buffers and a status,
            // as Linux sends them.
            int[] heads = new int[8];
            for (int r = 0; r < heads.length; r++) {
                long hdr = HDR + r * 32L;
                rig.header(hdr, BlkRequest.T_IN, (long) r * 256);
                List<Buf> bufs = new ArrayList<>();
                bufs.add(readable(hdr, 16));
                for (int p = 0; p < chunk / page; p++) {
                    bufs.add(writable(DATA + (long) r * chunk + (long) p * page, page));
                }
                bufs.add(writable(STATUS + r, 1));
                rig.poisonStatus(STATUS + r);
                heads[r] = rig.driver.addIndirectChain(TABLE + r * 1024L, bufs);
            }
            rig.driver.kick(true);
            rig.dev.processQueue(0);
            for (int head : heads) {
                UsedElem u = rig.driver.takeUsed();
                assertEquals(head, u.id());
                assertEquals(chunk + 1, u.len());
            }
            for (int r = 0; r < heads.length; r++) {
                assertEquals(BlkRequest.S_OK, rig.status(STATUS + r));
            }
            assertArrayEquals(fileRange(img, 0, 1 << 20), guest(rig, DATA, 1 << 20));
            assertEquals(1 << 20, rig.dev.bytesRead());
            assertEquals(1, rig.irq.usedSignals, "one interrupt for the batch");
        }
    }

    @Test
    void shouldSignalAtMostOncePerBatch() {
        try (BlkRig rig = new BlkRig(new NullBackend(1 << 20, false), "x", 0, false)) {
            for (int i = 0; i < 5; i++) {
                rig.header(HDR + i * 32L, BlkRequest.T_IN, i);
                rig.driver.addChain(List.of(readable(HDR + i * 32L, 16), writable(DATA + i * 512L, 512),
                    writable(STATUS + i, 1)));
            }
            rig.driver.kick(false);
            rig.dev.processQueue(0);
            assertEquals(1, rig.irq.usedSignals);
            for (int i = 0; i < 5; i++) {
                assertEquals(513, rig.driver.takeUsed().len());
            }
            assertNull(rig.driver.takeUsed());

            // Nothing new: no interrupt. The driver asks for none: still none, though work is done.
            rig.dev.processQueue(0);
            assertEquals(1, rig.irq.usedSignals);
            rig.driver.setNoInterrupt(true);
            rig.runOne(rig.add(BlkRequest.T_FLUSH, 0, 0, 0, false));
            assertEquals(1, rig.irq.usedSignals);
            assertEquals(1, rig.dev.interruptsSignalled());
        }
    }

    @Test
    void shouldLeaveNotificationsEnabledWhenIdle() {
        try (BlkRig rig = new BlkRig(new NullBackend(1 << 20, false))) {
            rig.runOne(rig.add(BlkRequest.T_FLUSH, 0, 0, 0, false));
            assertTrue(rig.queue.notificationsEnabled());
            assertEquals(rig.driver.availIdx(), rig.driver.availEvent(), "EVENT_IDX: kick me for the next chain");
        }
    }

    @Test
    void shouldIgnoreTheSubSectorTailWhenFileSizeIsNotAMultipleOf512() throws IOException {
        Path img = BlkRig.disk(dir, 4 * 512 + 100);
        try (FileBackend be = new FileBackend(img, false)) {
            assertEquals(4 * 512, be.sizeBytes());
            VirtioBlkDevice dev = new VirtioBlkDevice(be, null);
            assertEquals(4, dev.capacitySectors());
        }
    }

    /** Wraps a backend and counts flushes. */
    static final class CountingBackend extends SyncTestBackend {
        private final SyncTestBackend inner;
        int flushes;

        CountingBackend(SyncTestBackend inner) {
            this.inner = inner;
        }

        @Override
        public long sizeBytes() {
            return inner.sizeBytes();
        }

        @Override
        public boolean readOnly() {
            return inner.readOnly();
        }

        @Override
        int read(long offset, MemorySegment dst) {
            return inner.read(offset, dst);
        }

        @Override
        int write(long offset, MemorySegment src) {
            return inner.write(offset, src);
        }

        @Override
        int flush() {
            flushes++;
            return inner.flush();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
