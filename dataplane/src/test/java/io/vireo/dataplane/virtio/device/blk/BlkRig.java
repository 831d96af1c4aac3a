package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.TestGuestMemory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A virtio-blk device on one queue driven by a {@link MockGuestDriver}, with the usual guest buffers: a header, a
 * status byte, and a data area of {@link #DATA_SIZE} bytes.
 */
final class BlkRig implements AutoCloseable {
    static final int QUEUE_SIZE = VirtioBlkDevice.QUEUE_MAX_SIZE;
    static final long HDR = TestGuestMemory.DATA_GPA;
    static final long STATUS = HDR + 0x800;
    static final long TABLE = 0x80000;
    static final long DATA = HDR + 0x10000;
    static final int DATA_SIZE = 2 << 20;
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final Arena arena = Arena.ofConfined();
    final GuestMemory mem = TestGuestMemory.create(arena);
    final MockGuestDriver driver = MockGuestDriver.linux(mem, TestGuestMemory.RING_GPA, QUEUE_SIZE);
    final SplitQueue queue = new SplitQueue(mem, QUEUE_SIZE);
    final RecordingInterrupt irq = new RecordingInterrupt();
    final VirtioBlkDevice dev;
    final boolean eventIdx;

    /** Negotiates every offered feature except {@code withheld}. */
    BlkRig(BlockBackend backend, String serial, long withheld, boolean eventIdx) {
        this.dev = new VirtioBlkDevice(backend, serial);
        this.eventIdx = eventIdx;
        driver.configure(queue, eventIdx, true);
        assertEquals(QueueError.OK, queue.enable());
        dev.activate(dev.deviceFeatures() & ~withheld, new SplitQueue[] {queue}, irq);
    }

    BlkRig(BlockBackend backend) {
        this(backend, "vireo-test", 0, true);
    }

    MemorySegment at(long gpa, long len) {
        return mem.slice(gpa, len);
    }

    void header(long gpa, int type, long sector) {
        MemorySegment h = at(gpa, BlkRequest.HEADER_SIZE);
        h.set(LE_INT, 0, type);
        h.set(LE_INT, 4, 0);
        h.set(LE_LONG, 8, sector);
    }

    /** Sets the status byte to a value the device never writes, to see whether it wrote one. */
    void poisonStatus(long gpa) {
        at(gpa, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x5a);
    }

    int status(long gpa) {
        return at(gpa, 1).get(ValueLayout.JAVA_BYTE, 0) & 0xff;
    }

    /** A plain request: header, one data buffer (if len > 0) and the status, laid out as Linux does. */
    int add(int type, long sector, long dataGpa, int len, boolean dataWritable) {
        header(HDR, type, sector);
        poisonStatus(STATUS);
        if (len == 0) {
            return driver.addChain(List.of(readable(HDR, 16), writable(STATUS, 1)));
        }
        return driver.addChain(List.of(readable(HDR, 16), new Buf(dataGpa, len, dataWritable), writable(STATUS, 1)));
    }

    /** Kicks, lets the device process, and takes the one completion. */
    MockGuestDriver.UsedElem runOne(int head) {
        driver.kick(eventIdx);
        dev.processQueue(0);
        MockGuestDriver.UsedElem u = driver.takeUsed();
        assertNotNull(u, "no completion");
        assertEquals(head, u.id());
        return u;
    }

    @Override
    public void close() {
        arena.close();
    }

    /** A disk image of {@code size} bytes, byte i = a pattern that differs per sector and per offset. */
    static Path disk(Path dir, long size) throws IOException {
        byte[] b = new byte[(int) size];
        for (int i = 0; i < b.length; i++) {
            b[i] = pattern(i);
        }
        Path p = dir.resolve("disk.img");
        Files.write(p, b);
        return p;
    }

    static byte pattern(long i) {
        return (byte) (i * 7 + (i >>> 9) * 13 + 1);
    }
}
