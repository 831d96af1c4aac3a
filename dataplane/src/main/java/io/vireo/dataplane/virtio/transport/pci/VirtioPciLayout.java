package io.vireo.dataplane.virtio.transport.pci;

/**
 * Where everything of a virtio-pci function lives (virtio 1.2 §4.1).
 *
 * <pre>
 * BAR 0  I/O, transitional only: the legacy register block (§4.1.4.8)
 * BAR 1  32-bit memory, 4 KiB+: MSI-X table at 0x000, PBA after it (like QEMU)
 * BAR 4  32-bit memory, 16 KiB, non-prefetchable: the modern regions, one page each
 *        +0x0000 common config   (VIRTIO_PCI_CAP_COMMON_CFG)
 *        +0x1000 ISR status      (VIRTIO_PCI_CAP_ISR_CFG), 1 byte, read clears
 *        +0x2000 device config   (VIRTIO_PCI_CAP_DEVICE_CFG)
 *        +0x3000 notify          (VIRTIO_PCI_CAP_NOTIFY_CFG): queue q at +0x3000 + 4 * q
 * </pre>
 * The modern BAR is 32-bit on purpose: the test guest maps only 0-4 GiB and Vireo places 64-bit BARs above 64 GiB.
 * It is not prefetchable: reads of ISR have side effects.
 *
 * <p>Common configuration structure (struct virtio_pci_common_cfg, §4.1.4.3), offsets in the common region:
 * <pre>
 * +------+------+-----------------------+----+------------------------------------------------------------+
 * | off  | size | field                 | rw | notes                                                      |
 * +------+------+-----------------------+----+------------------------------------------------------------+
 * | 0x00 | 4    | device_feature_select | RW | 0: bits 0-31, 1: bits 32-63, others read 0                 |
 * | 0x04 | 4    | device_feature        | RO |                                                            |
 * | 0x08 | 4    | driver_feature_select | RW | 0 / 1; others ignore writes to driver_feature              |
 * | 0x0c | 4    | driver_feature        | RW | ignored once FEATURES_OK is set                            |
 * | 0x10 | 2    | config_msix_vector    | RW | a vector past the table reads NO_VECTOR (§4.1.5.1.2)        |
 * | 0x12 | 2    | num_queues            | RO |                                                            |
 * | 0x14 | 1    | device_status         | RW | 0 resets; FEATURES_OK/DRIVER_OK checked (§2.1, §3.1.1)     |
 * | 0x15 | 1    | config_generation     | RO | bumped on config change and reset                          |
 * | 0x16 | 2    | queue_select          | RW | the queue the fields below address; >= num_queues: none    |
 * | 0x18 | 2    | queue_size            | RW | power of two <= max, else unchanged; 0 for no queue         |
 * | 0x1a | 2    | queue_msix_vector     | RW | as config_msix_vector                                      |
 * | 0x1c | 2    | queue_enable          | RW | 1 enables (validated at DRIVER_OK); writing 0 is ignored   |
 * | 0x1e | 2    | queue_notify_off      | RO | = queue index                                              |
 * | 0x20 | 8    | queue_desc            | RW | as two 32-bit halves (or one 64-bit access)                |
 * | 0x28 | 8    | queue_driver          | RW | avail ring                                                 |
 * | 0x30 | 8    | queue_device          | RW | used ring                                                  |
 * | 0x38 | 2    | queue_notify_data     | RO | = queue index (NOTIFICATION_DATA is never offered)         |
 * | 0x3a | 2    | queue_reset           | RW | reads 0, writes ignored (RING_RESET is never offered)      |
 * +------+------+-----------------------+----+------------------------------------------------------------+
 * </pre>
 * Accesses must be at the field's natural width and offset; anything else reads 0 and writes nothing.
 *
 * <p>Legacy register block (§4.1.4.8), in I/O BAR 0:
 * <pre>
 * +------+------+---------------------------------------------+
 * | 0    | 4    | host (device) features bits 0-31, RO        |
 * | 4    | 4    | guest (driver) features bits 0-31, RW       |
 * | 8    | 4    | queue address (PFN, 4 KiB pages), RW        |
 * | 12   | 2    | queue size, RO                              |
 * | 14   | 2    | queue select, RW                            |
 * | 16   | 2    | queue notify, WO                            |
 * | 18   | 1    | device status, RW                           |
 * | 19   | 1    | ISR status, RO, read clears                 |
 * | 20   | 2    | config msix vector (only with MSI-X enabled)|
 * | 22   | 2    | queue msix vector (only with MSI-X enabled) |
 * | 20/24|      | device-specific config                      |
 * +------+------+---------------------------------------------+
 * </pre>
 */
public final class VirtioPciLayout {
    public static final int VENDOR_ID = 0x1af4;
    public static final int SUBSYSTEM_VENDOR_ID = 0x1af4;
    /** Modern device id = 0x1040 + virtio device type (§4.1.2). */
    public static final int MODERN_DEVICE_ID_BASE = 0x1040;
    /** Subsystem id of a non-transitional device: §4.1.2.1 says 0x40 or higher; QEMU's value. */
    public static final int MODERN_SUBSYSTEM_ID = 0x1100;

    public static final int LEGACY_BAR = 0;
    public static final int MSIX_BAR = 1;
    public static final int MODERN_BAR = 4;
    public static final long MODERN_BAR_SIZE = 0x4000;

    public static final int COMMON_CFG_OFFSET = 0x0000;
    public static final int COMMON_CFG_SIZE = 0x3c;
    public static final int ISR_CFG_OFFSET = 0x1000;
    public static final int ISR_CFG_SIZE = 1;
    public static final int DEVICE_CFG_OFFSET = 0x2000;
    public static final int DEVICE_CFG_MAX = 0x1000;
    public static final int NOTIFY_CFG_OFFSET = 0x3000;
    public static final int NOTIFY_OFF_MULTIPLIER = 4;
    public static final int REGION_SIZE = 0x1000;

    // ---- struct virtio_pci_common_cfg
    public static final int DEVICE_FEATURE_SELECT = 0x00;
    public static final int DEVICE_FEATURE = 0x04;
    public static final int DRIVER_FEATURE_SELECT = 0x08;
    public static final int DRIVER_FEATURE = 0x0c;
    public static final int CONFIG_MSIX_VECTOR = 0x10;
    public static final int NUM_QUEUES = 0x12;
    public static final int DEVICE_STATUS = 0x14;
    public static final int CONFIG_GENERATION = 0x15;
    public static final int QUEUE_SELECT = 0x16;
    public static final int QUEUE_SIZE = 0x18;
    public static final int QUEUE_MSIX_VECTOR = 0x1a;
    public static final int QUEUE_ENABLE = 0x1c;
    public static final int QUEUE_NOTIFY_OFF = 0x1e;
    public static final int QUEUE_DESC_LO = 0x20;
    public static final int QUEUE_DESC_HI = 0x24;
    public static final int QUEUE_DRIVER_LO = 0x28;
    public static final int QUEUE_DRIVER_HI = 0x2c;
    public static final int QUEUE_DEVICE_LO = 0x30;
    public static final int QUEUE_DEVICE_HI = 0x34;
    public static final int QUEUE_NOTIFY_DATA = 0x38;
    public static final int QUEUE_RESET = 0x3a;

    /** No MSI-X vector: the interrupt goes to ISR (and INTx, which Vireo does not wire). */
    public static final int NO_VECTOR = 0xffff;

    // ---- ISR status bits (§4.1.4.5)
    public static final int ISR_QUEUE = 0x1;
    public static final int ISR_CONFIG = 0x2;

    // ---- virtio vendor capability (struct virtio_pci_cap, §4.1.4)
    public static final int CAP_ID_VENDOR = 0x09;
    public static final int CAP_LEN = 16;
    public static final int NOTIFY_CAP_LEN = 20;
    public static final int PCI_CFG_CAP_LEN = 20;
    public static final int CFG_TYPE_COMMON = 1;
    public static final int CFG_TYPE_NOTIFY = 2;
    public static final int CFG_TYPE_ISR = 3;
    public static final int CFG_TYPE_DEVICE = 4;
    public static final int CFG_TYPE_PCI = 5;
    /** Offsets inside a virtio_pci_cap, from the capability id byte. */
    public static final int CAP_CFG_TYPE = 3;
    public static final int CAP_BAR = 4;
    public static final int CAP_OFFSET = 8;
    public static final int CAP_LENGTH = 12;
    public static final int PCI_CFG_DATA = 16;

    // ---- legacy I/O block
    public static final int LEGACY_HOST_FEATURES = 0;
    public static final int LEGACY_GUEST_FEATURES = 4;
    public static final int LEGACY_QUEUE_PFN = 8;
    public static final int LEGACY_QUEUE_SIZE = 12;
    public static final int LEGACY_QUEUE_SELECT = 14;
    public static final int LEGACY_QUEUE_NOTIFY = 16;
    public static final int LEGACY_STATUS = 18;
    public static final int LEGACY_ISR = 19;
    public static final int LEGACY_CONFIG_VECTOR = 20;
    public static final int LEGACY_QUEUE_VECTOR = 22;
    public static final int LEGACY_CONFIG_NO_MSIX = 20;
    public static final int LEGACY_CONFIG_MSIX = 24;
    /** Legacy queue PFNs are in 4 KiB pages and the used ring is aligned to 4 KiB (§2.7 legacy note). */
    public static final int LEGACY_PAGE_SHIFT = 12;
    public static final long LEGACY_VRING_ALIGN = 4096;

    private VirtioPciLayout() {
    }

    /** PCI class code for a virtio device type (block: mass storage other; net: ethernet; else "other"). */
    public static int classCode(int deviceType) {
        return switch (deviceType) {
            case 1 -> 0x020000;
            case 2 -> 0x018000;
            case 3 -> 0x078000;
            default -> 0xff0000;
        };
    }

    /** The transitional (legacy) PCI device id of a device type (§4.1.2.3), or -1 if it has none. */
    public static int legacyDeviceId(int deviceType) {
        return switch (deviceType) {
            case 1 -> 0x1000;
            case 2 -> 0x1001;
            case 5 -> 0x1002;
            case 3 -> 0x1003;
            case 8 -> 0x1004;
            case 4 -> 0x1005;
            case 9 -> 0x1009;
            default -> -1;
        };
    }
}
