package io.vireo.dataplane.virtio.device.blk;

/**
 * {@code struct virtio_blk_config} (virtio 1.2 §5.2.4), little-endian. A field is meaningful only when its feature
 * is offered; the others read as 0.
 *
 * <pre>
 *  off size field                         feature
 *    0  8   capacity (512-byte sectors)   always
 *    8  4   size_max                      SIZE_MAX
 *   12  4   seg_max                       SEG_MAX
 *   16  2   geometry.cylinders            GEOMETRY
 *   18  1   geometry.heads                GEOMETRY
 *   19  1   geometry.sectors              GEOMETRY
 *   20  4   blk_size                      BLK_SIZE
 *   24  1   topology.physical_block_exp   TOPOLOGY
 *   25  1   topology.alignment_offset     TOPOLOGY
 *   26  2   topology.min_io_size          TOPOLOGY
 *   28  4   topology.opt_io_size          TOPOLOGY
 *   32  1   writeback                     CONFIG_WCE (the one field a driver may write)
 *   33  1   unused0
 *   34  2   num_queues                    MQ
 *   36  4   max_discard_sectors           DISCARD
 *   40  4   max_discard_seg               DISCARD
 *   44  4   discard_sector_alignment      DISCARD
 *   48  4   max_write_zeroes_sectors      WRITE_ZEROES
 *   52  4   max_write_zeroes_seg          WRITE_ZEROES
 *   56  1   write_zeroes_may_unmap        WRITE_ZEROES
 *   57  3   unused1
 *   60  4   max_secure_erase_sectors      SECURE_ERASE
 *   64  4   max_secure_erase_seg          SECURE_ERASE
 *   68  4   secure_erase_sector_alignment SECURE_ERASE
 *   72      (size)
 * </pre>
 */
public final class BlkConfigLayout {
    public static final int CAPACITY_OFFSET = 0;
    public static final int SIZE_MAX_OFFSET = 8;
    public static final int SEG_MAX_OFFSET = 12;
    public static final int GEOMETRY_CYLINDERS_OFFSET = 16;
    public static final int GEOMETRY_HEADS_OFFSET = 18;
    public static final int GEOMETRY_SECTORS_OFFSET = 19;
    public static final int BLK_SIZE_OFFSET = 20;
    public static final int TOPOLOGY_PHYSICAL_BLOCK_EXP_OFFSET = 24;
    public static final int TOPOLOGY_ALIGNMENT_OFFSET_OFFSET = 25;
    public static final int TOPOLOGY_MIN_IO_SIZE_OFFSET = 26;
    public static final int TOPOLOGY_OPT_IO_SIZE_OFFSET = 28;
    public static final int WRITEBACK_OFFSET = 32;
    public static final int NUM_QUEUES_OFFSET = 34;
    public static final int MAX_DISCARD_SECTORS_OFFSET = 36;
    public static final int MAX_DISCARD_SEG_OFFSET = 40;
    public static final int DISCARD_SECTOR_ALIGNMENT_OFFSET = 44;
    public static final int MAX_WRITE_ZEROES_SECTORS_OFFSET = 48;
    public static final int MAX_WRITE_ZEROES_SEG_OFFSET = 52;
    public static final int WRITE_ZEROES_MAY_UNMAP_OFFSET = 56;
    public static final int MAX_SECURE_ERASE_SECTORS_OFFSET = 60;
    public static final int SIZE = 72;

    private BlkConfigLayout() {
    }
}
