package io.vireo.dataplane.vhostuser;

/**
 * The vhost-user wire format (QEMU {@code docs/interop/vhost-user.rst}): a 12-byte header, then {@code size} bytes
 * of payload; descriptors travel as SCM_RIGHTS with the header. All numbers host-endian (little on x86-64).
 *
 * <pre>
 *   0         4         8         12
 *   +---------+---------+---------+------------------
 *   | request | flags   | size    | payload (size bytes)
 *   +---------+---------+---------+------------------
 *   flags: bits 0-1 version (1), bit 2 REPLY, bit 3 NEED_REPLY
 * </pre>
 *
 * Payloads used here: u64 (8); vring state {@code u32 index, u32 num} (8); vring address {@code u32 index, u32
 * flags, u64 desc, u64 used, u64 avail, u64 log} (40); memory table {@code u32 nregions, u32 pad} then per region
 * {@code u64 gpa, u64 size, u64 user_addr, u64 mmap_offset} (32 each); one region {@code u64 pad} + a region (40);
 * config {@code u32 offset, u32 size, u32 flags, u8[size]}.
 */
public final class VhostUserLayout {
    public static final int HEADER_SIZE = 12;
    public static final int REQUEST_OFFSET = 0;
    public static final int FLAGS_OFFSET = 4;
    public static final int SIZE_OFFSET = 8;

    public static final int VERSION = 0x1;
    public static final int VERSION_MASK = 0x3;
    public static final int FLAG_REPLY = 0x4;
    public static final int FLAG_NEED_REPLY = 0x8;

    /** The largest payload this back end reads (the biggest legal one is a config of 12 + 256 bytes). */
    public static final int MAX_PAYLOAD = 4096;
    /** Regions in one SET_MEM_TABLE (VHOST_MEMORY_BASELINE_NREGIONS) and descriptors in one message. */
    public static final int MAX_TABLE_REGIONS = 8;
    public static final int MAX_FDS = 8;
    public static final int REGION_SIZE = 32;
    public static final int TABLE_HEADER_SIZE = 8;
    public static final int SINGLE_REGION_SIZE = 8 + REGION_SIZE;
    public static final int U64_SIZE = 8;
    public static final int VRING_STATE_SIZE = 8;
    public static final int VRING_ADDR_SIZE = 40;
    public static final int CONFIG_HEADER_SIZE = 12;
    public static final int MAX_CONFIG_SIZE = 256;

    /** SET_VRING_KICK/CALL/ERR payload: bits 0-7 the vring index, bit 8 "no fd". */
    public static final long VRING_INDEX_MASK = 0xff;
    public static final long VRING_NOFD = 0x100;

    // Requests (front end to back end).
    public static final int GET_FEATURES = 1;
    public static final int SET_FEATURES = 2;
    public static final int SET_OWNER = 3;
    public static final int RESET_OWNER = 4;
    public static final int SET_MEM_TABLE = 5;
    public static final int SET_LOG_BASE = 6;
    public static final int SET_LOG_FD = 7;
    public static final int SET_VRING_NUM = 8;
    public static final int SET_VRING_ADDR = 9;
    public static final int SET_VRING_BASE = 10;
    public static final int GET_VRING_BASE = 11;
    public static final int SET_VRING_KICK = 12;
    public static final int SET_VRING_CALL = 13;
    public static final int SET_VRING_ERR = 14;
    public static final int GET_PROTOCOL_FEATURES = 15;
    public static final int SET_PROTOCOL_FEATURES = 16;
    public static final int GET_QUEUE_NUM = 17;
    public static final int SET_VRING_ENABLE = 18;
    public static final int GET_CONFIG = 24;
    public static final int SET_CONFIG = 25;
    public static final int GET_MAX_MEM_SLOTS = 36;
    public static final int ADD_MEM_REG = 37;
    public static final int REM_MEM_REG = 38;

    /** Virtio feature bit 30 in GET/SET_FEATURES: protocol features may be negotiated. Never a guest feature. */
    public static final long F_PROTOCOL_FEATURES = 1L << 30;

    // Protocol feature bits.
    public static final long PROTOCOL_F_MQ = 1L << 0;
    public static final long PROTOCOL_F_REPLY_ACK = 1L << 3;
    public static final long PROTOCOL_F_CONFIG = 1L << 9;
    public static final long PROTOCOL_F_CONFIGURE_MEM_SLOTS = 1L << 15;

    private VhostUserLayout() {
    }

    /** The request's name for log lines. */
    public static String name(int request) {
        return switch (request) {
            case GET_FEATURES -> "GET_FEATURES";
            case SET_FEATURES -> "SET_FEATURES";
            case SET_OWNER -> "SET_OWNER";
            case RESET_OWNER -> "RESET_OWNER";
            case SET_MEM_TABLE -> "SET_MEM_TABLE";
            case SET_LOG_BASE -> "SET_LOG_BASE";
            case SET_LOG_FD -> "SET_LOG_FD";
            case SET_VRING_NUM -> "SET_VRING_NUM";
            case SET_VRING_ADDR -> "SET_VRING_ADDR";
            case SET_VRING_BASE -> "SET_VRING_BASE";
            case GET_VRING_BASE -> "GET_VRING_BASE";
            case SET_VRING_KICK -> "SET_VRING_KICK";
            case SET_VRING_CALL -> "SET_VRING_CALL";
            case SET_VRING_ERR -> "SET_VRING_ERR";
            case GET_PROTOCOL_FEATURES -> "GET_PROTOCOL_FEATURES";
            case SET_PROTOCOL_FEATURES -> "SET_PROTOCOL_FEATURES";
            case GET_QUEUE_NUM -> "GET_QUEUE_NUM";
            case SET_VRING_ENABLE -> "SET_VRING_ENABLE";
            case GET_CONFIG -> "GET_CONFIG";
            case SET_CONFIG -> "SET_CONFIG";
            case GET_MAX_MEM_SLOTS -> "GET_MAX_MEM_SLOTS";
            case ADD_MEM_REG -> "ADD_MEM_REG";
            case REM_MEM_REG -> "REM_MEM_REG";
            default -> "request " + Integer.toUnsignedString(request);
        };
    }
}
