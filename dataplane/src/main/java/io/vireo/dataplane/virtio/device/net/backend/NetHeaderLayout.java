package io.vireo.dataplane.virtio.device.net.backend;

/**
 * {@code struct virtio_net_hdr_v1} (virtio 1.2 §5.1.6), little-endian: the 12 bytes before every frame on both queues
 * (VERSION_1, or MRG_RXBUF: {@code num_buffers} is always there).
 *
 * <pre>
 *  off size field
 *    0  1   flags        NEEDS_CSUM 1, DATA_VALID 2, RSC_INFO 4
 *    1  1   gso_type     NONE 0, TCPV4 1, UDP 3, TCPV6 4, UDP_L4 5, | ECN 0x80
 *    2  2   hdr_len
 *    4  2   gso_size
 *    6  2   csum_start
 *    8  2   csum_offset
 *   10  2   num_buffers  receive: the buffers one frame took (1 without MRG_RXBUF)
 *   12      (size)
 * </pre>
 */
public final class NetHeaderLayout {
    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;
    public static final int NUM_BUFFERS_OFFSET = 10;
    public static final int SIZE = 12;
    /** A legacy driver without MRG_RXBUF: no num_buffers (virtio 1.2 §5.1.6.1, legacy interface). */
    public static final int LEGACY_SIZE = 10;

    public static final int F_NEEDS_CSUM = 1;
    public static final int F_DATA_VALID = 2;
    public static final int F_RSC_INFO = 4;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    /** Ethernet header: destination MAC, source MAC, EtherType. */
    public static final int ETH_HEADER = 14;
    /** Ethernet header plus one VLAN tag. */
    public static final int ETH_HEADER_VLAN = 18;
    /** The largest frame a segmentation offload carries: a 64 KiB IP packet and its Ethernet header. */
    public static final int MAX_GSO_FRAME = 65536 + ETH_HEADER_VLAN;

    private NetHeaderLayout() {
    }

    /** The header's size for the negotiated {@code features}: 12 with VERSION_1 or MRG_RXBUF, else 10. */
    public static int size(long features) {
        return (features & (io.vireo.dataplane.virtio.VirtioFeatures.VERSION_1 | NetFeatures.MRG_RXBUF)) != 0 ? SIZE
            : LEGACY_SIZE;
    }
}
