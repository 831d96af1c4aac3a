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
        assertEquals(3, dev.readConfig(BlkConfigLayout.TOPOLOGY_PHYSICAL_BLOCK_EXP_OFFSET, 1), "4 KiB physical");
        assertEquals(0, dev.readConfig(BlkConfigLayout.TOPOLOGY_ALIGNMENT_OFFSET_OFFSET, 1));
        assertEquals(8, dev.readConfig(BlkConfigLayout.TOPOLOGY_MIN_IO_SIZE_OFFSET, 2));
        assertEquals(0, dev.readConfig(BlkConfigLayout.TOPOLOGY_OPT_IO_SIZE_OFFSET, 4));
        assertEquals(1, dev.readConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1), "write-back cache by default");
        assertEquals(1, dev.readConfig(BlkConfigLayout.NUM_QUEUES_OFFSET, 2));
        assertEquals((int) VirtioBlkDevice.MAX_RANGE_SECTORS,
            dev.readConfig(BlkConfigLayout.MAX_DISCARD_SECTORS_OFFSET, 4));
        assertEquals(1, dev.readConfig(BlkConfigLayout.MAX_DISCARD_SEG_OFFSET, 4));
        assertEquals(8, dev.readConfig(BlkConfigLayout.DISCARD_SECTOR_ALIGNMENT_OFFSET, 4));
        assertEquals((int) VirtioBlkDevice.MAX_RANGE_SECTORS,
            dev.readConfig(BlkConfigLayout.MAX_WRITE_ZEROES_SECTORS_OFFSET, 4));
        assertEquals(1, dev.readConfig(BlkConfigLayout.MAX_WRITE_ZEROES_SEG_OFFSET, 4));
        assertEquals(1, dev.readConfig(BlkConfigLayout.WRITE_ZEROES_MAY_UNMAP_OFFSET, 1));
        for (int off = BlkConfigLayout.MAX_SECURE_ERASE_SECTORS_OFFSET; off < 72; off += 4) {
            assertEquals(0, dev.readConfig(off, 4), "offset " + off);
        }
        VirtioBlkDevice four = new VirtioBlkDevice(new NullBackend(SIZE, false), "x", 4);
        assertEquals(4, four.readConfig(BlkConfigLayout.NUM_QUEUES_OFFSET, 2));
        assertEquals(4, four.queueCount());
    }

    @Test
    void shouldNotOfferDiscardWhenReadOnly() {
        VirtioBlkDevice ro = new VirtioBlkDevice(new NullBackend(SIZE, true), "x");
        assertEquals(0, ro.deviceFeatures() & (BlkFeatures.DISCARD | BlkFeatures.WRITE_ZEROES));
        assertEquals(0, ro.readConfig(BlkConfigLayout.MAX_DISCARD_SECTORS_OFFSET, 4));
    }

    @Test
    void shouldAcceptOnlyTheWritebackFieldFromTheDriver() {
        VirtioBlkDevice dev = new VirtioBlkDevice(new NullBackend(SIZE, false), "x");
        dev.writeConfig(0, 4, -1);
        assertEquals((int) (SIZE / 512), dev.readConfig(0, 4));
        dev.writeConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1, 0);
        assertEquals(0, dev.readConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1), "write-through");
        dev.writeConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1, 7);
        assertEquals(1, dev.readConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1), "write-back again");
    }

    @Test
    void shouldOfferTheCompleteFeatureSet() {
        VirtioBlkDevice rw = new VirtioBlkDevice(new NullBackend(SIZE, false), "x");
        long want = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC | VirtioFeatures.RING_EVENT_IDX
            | BlkFeatures.SIZE_MAX | BlkFeatures.SEG_MAX | BlkFeatures.BLK_SIZE | BlkFeatures.FLUSH
            | BlkFeatures.CONFIG_WCE | BlkFeatures.TOPOLOGY | BlkFeatures.MQ;
        assertEquals(want | BlkFeatures.DISCARD | BlkFeatures.WRITE_ZEROES, rw.deviceFeatures());
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
