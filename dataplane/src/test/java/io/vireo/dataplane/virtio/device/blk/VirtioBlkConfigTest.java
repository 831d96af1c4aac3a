package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.VirtioFeatures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Identity, features and the configuration structure (virtio 1.2 §5.2.1 - §5.2.4), byte by byte. */
class VirtioBlkConfigTest {
    private static final long SIZE = 0x1_2345_6000L;

    @Test
    void shouldPutEachConfigFieldAtItsOffset() {
        VirtioBlkDevice dev = new VirtioBlkDevice(new NullBackend(SIZE, false), "x");
        long sectors = SIZE / 512;
        assertEquals(72, dev.configSize());
        assertEquals((int) sectors, dev.readConfig(0, 4));
        assertEquals((int) (sectors >>> 32), dev.readConfig(4, 4));
        for (int i = 0; i < 8; i++) {
            assertEquals((int) (sectors >>> (8 * i)) & 0xff, dev.readConfig(i, 1), "capacity byte " + i);
        }
        assertEquals(VirtioBlkDevice.SIZE_MAX_BYTES, dev.readConfig(BlkConfigLayout.SIZE_MAX_OFFSET, 4));
        assertEquals(254, dev.readConfig(BlkConfigLayout.SEG_MAX_OFFSET, 4));
        assertEquals(0, dev.readConfig(BlkConfigLayout.GEOMETRY_CYLINDERS_OFFSET, 4), "geometry not offered");
        assertEquals(512, dev.readConfig(BlkConfigLayout.BLK_SIZE_OFFSET, 4));
        assertEquals(0x02, dev.readConfig(BlkConfigLayout.BLK_SIZE_OFFSET + 1, 1));
        assertEquals(512, dev.readConfig(BlkConfigLayout.BLK_SIZE_OFFSET, 2));
        assertEquals(0, dev.readConfig(BlkConfigLayout.TOPOLOGY_PHYSICAL_BLOCK_EXP_OFFSET, 4));
        assertEquals(0, dev.readConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1));
        assertEquals(1, dev.readConfig(BlkConfigLayout.NUM_QUEUES_OFFSET, 2));
        for (int off = BlkConfigLayout.MAX_DISCARD_SECTORS_OFFSET; off < 72; off += 4) {
            assertEquals(0, dev.readConfig(off, 4), "offset " + off);
        }
    }

    @Test
    void shouldIgnoreConfigWritesWhenWceIsNotOffered() {
        VirtioBlkDevice dev = new VirtioBlkDevice(new NullBackend(SIZE, false), "x");
        dev.writeConfig(0, 4, -1);
        dev.writeConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1, 1);
        assertEquals((int) (SIZE / 512), dev.readConfig(0, 4));
        assertEquals(0, dev.readConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1));
    }

    @Test
    void shouldOfferTheFirstCutFeatures() {
        VirtioBlkDevice rw = new VirtioBlkDevice(new NullBackend(SIZE, false), "x");
        long want = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC | VirtioFeatures.RING_EVENT_IDX
            | BlkFeatures.SIZE_MAX | BlkFeatures.SEG_MAX | BlkFeatures.BLK_SIZE | BlkFeatures.FLUSH;
        assertEquals(want, rw.deviceFeatures());
        VirtioBlkDevice ro = new VirtioBlkDevice(new NullBackend(SIZE, true), "x");
        assertEquals(want | BlkFeatures.RO, ro.deviceFeatures());
        assertEquals(2, rw.deviceType());
        assertEquals(1, rw.queueCount());
        assertEquals(256, rw.queueMaxSize(0));
    }

    @Test
    void shouldRefuseSerialsLongerThanTwentyBytes() {
        assertThrows(IllegalArgumentException.class,
            () -> new VirtioBlkDevice(new NullBackend(SIZE, false), "ABCDEFGHIJ0123456789X"));
    }
}
