package io.vireo.dataplane.virtio.transport.pci;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.pci.MsixCapability;
import io.vireo.dataplane.pci.MsixLayout;
import io.vireo.dataplane.pci.MsixTable;
import io.vireo.dataplane.pci.MsixVectorListener;
import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciConfigSpace;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static io.vireo.dataplane.virtio.VirtioFeatures.DEVICE_NEEDS_RESET;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER_OK;
import static io.vireo.dataplane.virtio.VirtioFeatures.FEATURES_OK;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.ISR_CONFIG;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.ISR_QUEUE;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MODERN_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MSIX_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.NO_VECTOR;

/**
 * A virtio device behind a PCI function (virtio 1.2 §4.1): config space with the virtio vendor capabilities and
 * MSI-X, the modern register regions in BAR 4, the MSI-X table in BAR 1 and, for a transitional device, the legacy
 * register block in I/O BAR 0. Layout and register maps: {@link VirtioPciLayout}.
 *
 * <p>The VMM maps the function's BARs where the guest (or firmware) programs them and forwards each MMIO/PIO access
 * as {@link #readBar}/{@link #writeBar} with the offset inside the BAR; config accesses go to {@link #readConfig} /
 * {@link #writeConfig} (not {@code config().read}: the PCI_CFG window needs them). For the fast path it registers one
 * ioeventfd per queue at {@link #notifyBar()} + {@link #notifyOffset(int)} (any length), and for a transitional
 * device one PIO ioeventfd at BAR 0 + {@link #legacyNotifyOffset()} (2 bytes, data match = queue index); those
 * writes then never reach {@link #writeBar}.
 *
 * <p>Two error tiers (STYLE.md): register misuse is ignored (writes dropped, reads 0; nothing throws on guest
 * input); a queue that cannot be enabled at DRIVER_OK, or that the device later finds corrupt, sets
 * DEVICE_NEEDS_RESET and raises a configuration interrupt, and only this function is affected.
 *
 * <p>Interrupts: a queue or config interrupt goes to its MSI-X vector: sent through the {@link MsixInterruptSink}
 * if deliverable, else recorded in the PBA (and sent on unmask). With NO_VECTOR or MSI-X disabled it sets the ISR
 * bit only: INTx is not wired (interrupt pin 0), so a driver without MSI-X can only poll ISR.
 *
 * <p>Threading: register accesses come from vCPU threads, serialised by this object's lock; {@link VirtioInterrupt}
 * calls come from queue workers and take no lock of ours (only the MSI-X table's), so a device may wait for its
 * worker inside {@link VirtioDevice#reset()} without deadlock. The device is called with our lock held for
 * {@code activate} and {@code reset}; config reads/writes and {@code processQueue} are called without it.
 *
 * <p>Features the transport cannot serve ({@link #TRANSPORT_UNSUPPORTED}: packed rings, RING_RESET, notification
 * data, SR-IOV) are never offered, whatever the device says. A legacy driver sees and negotiates bits 0-31 only.
 */
public final class VirtioPciFunction implements PciFunction {
    /** Offered bits the transport masks out. */
    public static final long TRANSPORT_UNSUPPORTED = VirtioFeatures.RING_PACKED | VirtioFeatures.RING_RESET
        | VirtioFeatures.NOTIFICATION_DATA | VirtioFeatures.NOTIF_CONFIG_DATA | VirtioFeatures.SR_IOV;

    private static final System.Logger LOG = System.getLogger(VirtioPciFunction.class.getName());
    private static final long LOW32 = 0xffff_ffffL;

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final MsixInterruptSink sink;
    private final boolean transitional;
    private final PciConfigSpace config;
    private final MsixCapability msix;
    private final MsixTable table;
    private final long offeredFeatures;
    private final int queueCount;
    private final int configSize;
    private final QueueRegisters[] queues;
    private final int pciCfgCap;
    private final Interrupt interrupt = new Interrupt();

    // Read by queue workers without our lock.
    private final AtomicIntegerArray queueVectors;
    private final AtomicInteger isr = new AtomicInteger();
    private final AtomicInteger configGeneration = new AtomicInteger();
    private volatile int configVector = NO_VECTOR;
    private volatile boolean needsReset;
    private volatile boolean active;
    private volatile NotifyListener notifyListener;
    private volatile MsixVectorListener vectorListener;

    // Guarded by this.
    private int status;
    private int deviceFeatureSelect;
    private int driverFeatureSelect;
    private long driverFeatures;
    private int queueSelect;
    private boolean legacyMode;
    private SplitQueue[] activeQueues;

    /**
     * @param device       the device model; its queue count and config size must fit the layout (checked)
     * @param memory       guest RAM the rings live in, not owned
     * @param sink         sends an MSI-X vector's message (the VMM's irqfd write)
     * @param transitional also expose the legacy interface (I/O BAR 0, legacy device id, revision 0)
     */
    public VirtioPciFunction(VirtioDevice device, GuestMemory memory, MsixInterruptSink sink, boolean transitional) {
        this.device = device;
        this.memory = memory;
        this.sink = sink;
        this.transitional = transitional;
        int type = device.deviceType();
        queueCount = device.queueCount();
        configSize = device.configSize();
        int maxQueues = VirtioPciLayout.REGION_SIZE / VirtioPciLayout.NOTIFY_OFF_MULTIPLIER;
        if (queueCount < 1 || queueCount > maxQueues) {
            throw new IllegalArgumentException("queue count " + queueCount + " outside 1-" + maxQueues);
        }
        if (configSize < 0 || configSize > VirtioPciLayout.DEVICE_CFG_MAX) {
            throw new IllegalArgumentException("device config size " + configSize + " outside 0-"
                + VirtioPciLayout.DEVICE_CFG_MAX);
        }
        offeredFeatures = (device.deviceFeatures() | VirtioFeatures.VERSION_1) & ~TRANSPORT_UNSUPPORTED;
        queues = new QueueRegisters[queueCount];
        queueVectors = new AtomicIntegerArray(queueCount);
        for (int q = 0; q < queueCount; q++) {
            queues[q] = new QueueRegisters(device.queueMaxSize(q));
            queueVectors.set(q, NO_VECTOR);
        }
        config = transitional ? transitionalConfig(type) : new PciConfigSpace(VirtioPciLayout.VENDOR_ID,
            VirtioPciLayout.MODERN_DEVICE_ID_BASE + type, VirtioPciLayout.classCode(type));
        if (transitional) {
            config.setSubsystem(VirtioPciLayout.SUBSYSTEM_VENDOR_ID, type);
            config.setRevision(0);
            config.defineBar(VirtioPciLayout.LEGACY_BAR, PciBar.io(legacyBarSize(configSize)));
        } else {
            config.setSubsystem(VirtioPciLayout.SUBSYSTEM_VENDOR_ID, VirtioPciLayout.MODERN_SUBSYSTEM_ID);
            config.setRevision(1);
        }
        int vectors = queueCount + 1;
        long pbaOffset = Math.max(0x800, MsixLayout.tableSizeBytes(vectors));
        long msixBarSize = Math.max(0x1000, Long.highestOneBit(pbaOffset + MsixLayout.pbaSizeBytes(vectors) - 1) << 1);
        config.defineBar(MSIX_BAR, PciBar.memory32(msixBarSize, false));
        config.defineBar(MODERN_BAR, PciBar.memory32(VirtioPciLayout.MODERN_BAR_SIZE, false));
        msix = new MsixCapability(config, vectors, MSIX_BAR, 0, MSIX_BAR, pbaOffset, new VectorForwarder());
        table = msix.table();
        addVirtioCap(VirtioPciLayout.CFG_TYPE_COMMON, VirtioPciLayout.COMMON_CFG_OFFSET,
            VirtioPciLayout.COMMON_CFG_SIZE, -1);
        addVirtioCap(VirtioPciLayout.CFG_TYPE_NOTIFY, VirtioPciLayout.NOTIFY_CFG_OFFSET,
            queueCount * VirtioPciLayout.NOTIFY_OFF_MULTIPLIER, VirtioPciLayout.NOTIFY_OFF_MULTIPLIER);
        addVirtioCap(VirtioPciLayout.CFG_TYPE_ISR, VirtioPciLayout.ISR_CFG_OFFSET, VirtioPciLayout.ISR_CFG_SIZE, -1);
        if (configSize > 0) {
            addVirtioCap(VirtioPciLayout.CFG_TYPE_DEVICE, VirtioPciLayout.DEVICE_CFG_OFFSET, configSize, -1);
        }
        pciCfgCap = addVirtioCap(VirtioPciLayout.CFG_TYPE_PCI, 0, 0, 0);
        config.setWriteMask(pciCfgCap + VirtioPciLayout.CAP_BAR, 1, 0xff);
        config.setWriteMask(pciCfgCap + VirtioPciLayout.CAP_OFFSET, 4, -1);
        config.setWriteMask(pciCfgCap + VirtioPciLayout.CAP_LENGTH, 4, -1);
        notifyListener = device::processQueue;
    }

    private static PciConfigSpace transitionalConfig(int type) {
        int id = VirtioPciLayout.legacyDeviceId(type);
        if (id < 0) {
            throw new IllegalArgumentException("virtio device type " + type + " has no transitional PCI device id");
        }
        return new PciConfigSpace(VirtioPciLayout.VENDOR_ID, id, VirtioPciLayout.classCode(type));
    }

    private static long legacyBarSize(int configSize) {
        int bytes = VirtioPciLayout.LEGACY_CONFIG_MSIX + configSize;
        if (bytes > PciBar.MAX_IO_SIZE) {
            throw new IllegalArgumentException("legacy register block of " + bytes + " bytes exceeds an I/O BAR ("
                + PciBar.MAX_IO_SIZE + ")");
        }
        return Long.highestOneBit(bytes - 1) << 1;
    }

    /** struct virtio_pci_cap (+ notify_off_multiplier, or + pci_cfg_data for PCI_CFG). */
    private int addVirtioCap(int cfgType, int offset, int length, int multiplier) {
        boolean extra = cfgType == VirtioPciLayout.CFG_TYPE_NOTIFY || cfgType == VirtioPciLayout.CFG_TYPE_PCI;
        int capLen = extra ? VirtioPciLayout.NOTIFY_CAP_LEN : VirtioPciLayout.CAP_LEN;
        byte[] body = new byte[capLen - 2];
        body[0] = (byte) capLen;
        body[1] = (byte) cfgType;
        body[2] = (byte) (cfgType == VirtioPciLayout.CFG_TYPE_PCI ? 0 : MODERN_BAR);
        putLe(body, VirtioPciLayout.CAP_OFFSET - 2, offset);
        putLe(body, VirtioPciLayout.CAP_LENGTH - 2, length);
        if (cfgType == VirtioPciLayout.CFG_TYPE_NOTIFY) {
            putLe(body, VirtioPciLayout.PCI_CFG_DATA - 2, multiplier);
        }
        return config.addCapability(VirtioPciLayout.CAP_ID_VENDOR, body);
    }

    private static void putLe(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    // ---- VMM wiring ---------------------------------------------------------------------------------

    @Override
    public PciConfigSpace config() {
        return config;
    }

    public VirtioDevice device() {
        return device;
    }

    public MsixCapability msix() {
        return msix;
    }

    public boolean isTransitional() {
        return transitional;
    }

    /** The BAR holding the notify region. */
    public int notifyBar() {
        return MODERN_BAR;
    }

    /** Offset in {@link #notifyBar()} of queue {@code queue}'s notify address (queue_notify_off * multiplier). */
    public long notifyOffset(int queue) {
        return VirtioPciLayout.NOTIFY_CFG_OFFSET + (long) queue * VirtioPciLayout.NOTIFY_OFF_MULTIPLIER;
    }

    /** The I/O BAR of the legacy block (transitional only). */
    public int legacyBar() {
        return VirtioPciLayout.LEGACY_BAR;
    }

    /** Offset of QUEUE_NOTIFY in {@link #legacyBar()}: a 16-bit write of the queue index. */
    public int legacyNotifyOffset() {
        return VirtioPciLayout.LEGACY_QUEUE_NOTIFY;
    }

    /** Where notifies that reach {@link #writeBar} go; {@code null} restores the default (processQueue inline). */
    public void setNotifyListener(NotifyListener listener) {
        notifyListener = listener != null ? listener : device::processQueue;
    }

    /** Hears MSI-X table/capability changes (for KVM GSI routes); pending deliveries always go to the sink. */
    public void setMsixVectorListener(MsixVectorListener listener) {
        vectorListener = listener;
    }

    /** The interrupt object handed to the device at activation (also usable before, e.g. for config changes). */
    public VirtioInterrupt interrupt() {
        return interrupt;
    }

    public boolean isActive() {
        return active;
    }

    public synchronized int deviceStatus() {
        return status | (needsReset ? DEVICE_NEEDS_RESET : 0);
    }

    public synchronized long driverFeatures() {
        return driverFeatures;
    }

    public long offeredFeatures() {
        return offeredFeatures;
    }

    /** Function level reset (or VMM reset): the device reset plus MSI-X back to its power-on state. */
    public synchronized void functionReset() {
        resetDevice();
        config.setRegister(msix.capabilityOffset() + MsixLayout.MESSAGE_CONTROL_OFFSET, 2, table.vectors() - 1);
        table.reset();
    }

    // ---- config space -------------------------------------------------------------------------------

    @Override
    public int readConfig(int offset, int size) {
        int data = pciCfgCap + VirtioPciLayout.PCI_CFG_DATA;
        if (offset == data && size >= 1 && size <= 4) {
            int length = pciCfgLength();
            return length <= 0 ? 0 : (int) readBar(pciCfgBar(), pciCfgOffset(), length);
        }
        return config.read(offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        int data = pciCfgCap + VirtioPciLayout.PCI_CFG_DATA;
        if (offset == data && size >= 1 && size <= 4) {
            int length = pciCfgLength();
            if (length > 0) {
                writeBar(pciCfgBar(), pciCfgOffset(), length, value);
            }
            return;
        }
        config.write(offset, size, value);
    }

    // §4.1.4.9: the window names a BAR, an offset aligned to the length, and a length of 1, 2 or 4.
    private int pciCfgBar() {
        return config.read(pciCfgCap + VirtioPciLayout.CAP_BAR, 1);
    }

    private long pciCfgOffset() {
        return Integer.toUnsignedLong(config.read(pciCfgCap + VirtioPciLayout.CAP_OFFSET, 4));
    }

    private int pciCfgLength() {
        int length = config.read(pciCfgCap + VirtioPciLayout.CAP_LENGTH, 4);
        boolean ok = (length == 1 || length == 2 || length == 4) && pciCfgOffset() % length == 0;
        return ok ? length : 0;
    }

    // ---- BARs ---------------------------------------------------------------------------------------

    @Override
    public long readBar(int bar, long offset, int size) {
        if (!validSize(size) || offset < 0) {
            return 0;
        }
        if (bar == MSIX_BAR) {
            return msix.readBar(bar, offset, size, 0);
        }
        if (bar == VirtioPciLayout.LEGACY_BAR && transitional) {
            return offset < VirtioPciLayout.REGION_SIZE ? Integer.toUnsignedLong(readLegacy((int) offset, size)) : 0;
        }
        if (bar != MODERN_BAR || offset >= VirtioPciLayout.MODERN_BAR_SIZE) {
            return 0;
        }
        int off = (int) offset & (VirtioPciLayout.REGION_SIZE - 1);
        return switch ((int) offset & ~(VirtioPciLayout.REGION_SIZE - 1)) {
            case VirtioPciLayout.COMMON_CFG_OFFSET -> readCommon(off, size);
            case VirtioPciLayout.ISR_CFG_OFFSET -> off == 0 && size == 1 ? isr.getAndSet(0) : 0;
            case VirtioPciLayout.DEVICE_CFG_OFFSET ->
                deviceConfigFits(off, size, true) ? Integer.toUnsignedLong(device.readConfig(off, size)) & mask(size)
                    : 0;
            default -> 0;
        };
    }

    @Override
    public void writeBar(int bar, long offset, int size, long value) {
        if (!validSize(size) || offset < 0) {
            return;
        }
        if (bar == MSIX_BAR) {
            msix.writeBar(bar, offset, size, value);
            return;
        }
        if (bar == VirtioPciLayout.LEGACY_BAR && transitional) {
            if (offset < VirtioPciLayout.REGION_SIZE) {
                writeLegacy((int) offset, size, value);
            }
            return;
        }
        if (bar != MODERN_BAR || offset >= VirtioPciLayout.MODERN_BAR_SIZE) {
            return;
        }
        int off = (int) offset & (VirtioPciLayout.REGION_SIZE - 1);
        switch ((int) offset & ~(VirtioPciLayout.REGION_SIZE - 1)) {
            case VirtioPciLayout.COMMON_CFG_OFFSET -> writeCommon(off, size, value);
            case VirtioPciLayout.DEVICE_CFG_OFFSET -> {
                if (deviceConfigFits(off, size, true)) {
                    device.writeConfig(off, size, (int) value);
                }
            }
            case VirtioPciLayout.NOTIFY_CFG_OFFSET -> {
                // The address names the queue (notify_off = queue index); the value is not needed.
                if (size <= 4 && off % VirtioPciLayout.NOTIFY_OFF_MULTIPLIER == 0) {
                    notifyQueue(off / VirtioPciLayout.NOTIFY_OFF_MULTIPLIER);
                }
            }
            default -> {
                // ISR is read-only; the rest of the BAR decodes nothing.
            }
        }
    }

    private static boolean validSize(int size) {
        return size == 1 || size == 2 || size == 4 || size == 8;
    }

    private static long mask(int size) {
        return size == 8 ? -1L : (1L << (8 * size)) - 1;
    }

    /** §4.1.3.1: 1, 2 or 4 bytes inside the device config; naturally aligned in the modern region. */
    private boolean deviceConfigFits(int off, int size, boolean aligned) {
        return size <= 4 && off >= 0 && off + size <= configSize && (!aligned || off % size == 0);
    }

    private void notifyQueue(int queue) {
        if (active && queue >= 0 && queue < queueCount) {
            notifyListener.notified(queue);
        }
    }

    // ---- common configuration (§4.1.4.3) ------------------------------------------------------------

    /** Natural width of the field starting at {@code off}, 0 if none starts there; 64-bit fields also take 4. */
    private static boolean commonWidthOk(int off, int size) {
        return switch (off) {
            case VirtioPciLayout.DEVICE_FEATURE_SELECT, VirtioPciLayout.DEVICE_FEATURE,
                VirtioPciLayout.DRIVER_FEATURE_SELECT, VirtioPciLayout.DRIVER_FEATURE,
                VirtioPciLayout.QUEUE_DESC_HI, VirtioPciLayout.QUEUE_DRIVER_HI,
                VirtioPciLayout.QUEUE_DEVICE_HI -> size == 4;
            case VirtioPciLayout.QUEUE_DESC_LO, VirtioPciLayout.QUEUE_DRIVER_LO,
                VirtioPciLayout.QUEUE_DEVICE_LO -> size == 4 || size == 8;
            case VirtioPciLayout.DEVICE_STATUS, VirtioPciLayout.CONFIG_GENERATION -> size == 1;
            case VirtioPciLayout.CONFIG_MSIX_VECTOR, VirtioPciLayout.NUM_QUEUES, VirtioPciLayout.QUEUE_SELECT,
                VirtioPciLayout.QUEUE_SIZE, VirtioPciLayout.QUEUE_MSIX_VECTOR, VirtioPciLayout.QUEUE_ENABLE,
                VirtioPciLayout.QUEUE_NOTIFY_OFF, VirtioPciLayout.QUEUE_NOTIFY_DATA,
                VirtioPciLayout.QUEUE_RESET -> size == 2;
            default -> false;
        };
    }

    private QueueRegisters selected() {
        return queueSelect < queueCount ? queues[queueSelect] : null;
    }

    private synchronized long readCommon(int off, int size) {
        if (!commonWidthOk(off, size)) {
            return 0;
        }
        QueueRegisters q = selected();
        long v = switch (off) {
            case VirtioPciLayout.DEVICE_FEATURE_SELECT -> deviceFeatureSelect;
            case VirtioPciLayout.DEVICE_FEATURE -> featureWord(offeredFeatures, deviceFeatureSelect);
            case VirtioPciLayout.DRIVER_FEATURE_SELECT -> driverFeatureSelect;
            case VirtioPciLayout.DRIVER_FEATURE -> featureWord(driverFeatures, driverFeatureSelect);
            case VirtioPciLayout.CONFIG_MSIX_VECTOR -> configVector;
            case VirtioPciLayout.NUM_QUEUES -> queueCount;
            case VirtioPciLayout.DEVICE_STATUS -> deviceStatus();
            case VirtioPciLayout.CONFIG_GENERATION -> configGeneration.get() & 0xff;
            case VirtioPciLayout.QUEUE_SELECT -> queueSelect;
            case VirtioPciLayout.QUEUE_SIZE -> q == null ? 0 : q.size;
            case VirtioPciLayout.QUEUE_MSIX_VECTOR -> q == null ? NO_VECTOR : queueVectors.get(queueSelect);
            case VirtioPciLayout.QUEUE_ENABLE -> q != null && q.enabled ? 1 : 0;
            case VirtioPciLayout.QUEUE_NOTIFY_OFF, VirtioPciLayout.QUEUE_NOTIFY_DATA -> q == null ? 0 : queueSelect;
            case VirtioPciLayout.QUEUE_DESC_LO -> q == null ? 0 : q.desc;
            case VirtioPciLayout.QUEUE_DESC_HI -> q == null ? 0 : q.desc >>> 32;
            case VirtioPciLayout.QUEUE_DRIVER_LO -> q == null ? 0 : q.driver;
            case VirtioPciLayout.QUEUE_DRIVER_HI -> q == null ? 0 : q.driver >>> 32;
            case VirtioPciLayout.QUEUE_DEVICE_LO -> q == null ? 0 : q.device;
            case VirtioPciLayout.QUEUE_DEVICE_HI -> q == null ? 0 : q.device >>> 32;
            default -> 0;
        };
        return v & mask(size);
    }

    private static long featureWord(long features, int select) {
        return switch (select) {
            case 0 -> features & LOW32;
            case 1 -> features >>> 32;
            default -> 0;
        };
    }

    private synchronized void writeCommon(int off, int size, long value) {
        if (!commonWidthOk(off, size)) {
            return;
        }
        int v = (int) value;
        QueueRegisters q = selected();
        // §4.1.4.3.2 / §2.7: queue layout is fixed once the queue is enabled or the device is live.
        boolean queueWritable = q != null && !q.enabled && !active;
        switch (off) {
            case VirtioPciLayout.DEVICE_FEATURE_SELECT -> deviceFeatureSelect = v;
            case VirtioPciLayout.DRIVER_FEATURE_SELECT -> driverFeatureSelect = v;
            case VirtioPciLayout.DRIVER_FEATURE -> writeDriverFeatures(v);
            case VirtioPciLayout.CONFIG_MSIX_VECTOR -> configVector = checkedVector(v);
            case VirtioPciLayout.DEVICE_STATUS -> writeStatus(v & 0xff);
            case VirtioPciLayout.QUEUE_SELECT -> queueSelect = v & 0xffff;
            case VirtioPciLayout.QUEUE_SIZE -> {
                if (queueWritable) {
                    q.writeSize(v & 0xffff);
                }
            }
            case VirtioPciLayout.QUEUE_MSIX_VECTOR -> {
                if (q != null) {
                    queueVectors.set(queueSelect, checkedVector(v));
                }
            }
            case VirtioPciLayout.QUEUE_ENABLE -> {
                // §4.1.4.3.2: the driver MUST NOT write 0; enabling is checked against RAM at DRIVER_OK.
                if (queueWritable && (v & 0xffff) == 1) {
                    q.enabled = true;
                }
            }
            case VirtioPciLayout.QUEUE_DESC_LO, VirtioPciLayout.QUEUE_DESC_HI, VirtioPciLayout.QUEUE_DRIVER_LO,
                VirtioPciLayout.QUEUE_DRIVER_HI, VirtioPciLayout.QUEUE_DEVICE_LO, VirtioPciLayout.QUEUE_DEVICE_HI -> {
                if (queueWritable) {
                    writeQueueAddress(q, off, size, value);
                }
            }
            default -> {
                // num_queues, config_generation, queue_notify_off, queue_notify_data: read-only;
                // queue_reset: RING_RESET is never offered.
            }
        }
    }

    private static void writeQueueAddress(QueueRegisters q, int off, int size, long value) {
        int field = off & ~7;
        boolean high = (off & 4) != 0;
        long old = switch (field) {
            case VirtioPciLayout.QUEUE_DESC_LO -> q.desc;
            case VirtioPciLayout.QUEUE_DRIVER_LO -> q.driver;
            default -> q.device;
        };
        long now;
        if (size == 8) {
            now = value;
        } else if (high) {
            now = old & LOW32 | value << 32;
        } else {
            now = old & ~LOW32 | value & LOW32;
        }
        switch (field) {
            case VirtioPciLayout.QUEUE_DESC_LO -> q.desc = now;
            case VirtioPciLayout.QUEUE_DRIVER_LO -> q.driver = now;
            default -> q.device = now;
        }
    }

    /** §4.1.5.1.2: a vector the table does not have reads back NO_VECTOR. */
    private int checkedVector(int v) {
        int vector = v & 0xffff;
        return vector < table.vectors() ? vector : NO_VECTOR;
    }

    private void writeDriverFeatures(int v) {
        // §3.1.1: features are fixed once FEATURES_OK is set (and, for legacy, once the device is live).
        if ((status & FEATURES_OK) != 0 || active) {
            return;
        }
        long word = Integer.toUnsignedLong(v);
        switch (driverFeatureSelect) {
            case 0 -> driverFeatures = driverFeatures & ~LOW32 | word;
            case 1 -> driverFeatures = driverFeatures & LOW32 | word << 32;
            default -> {
                // Bits 64+ do not exist.
            }
        }
    }

    // ---- device status (§2.1, §3.1.1) ---------------------------------------------------------------

    private void writeStatus(int value) {
        if (value == 0) {
            resetDevice();
            return;
        }
        int old = status;
        // The driver only sets bits (§2.1.1); DEVICE_NEEDS_RESET is the device's to set.
        int next = old | value & ~DEVICE_NEEDS_RESET;
        if ((next & FEATURES_OK) != 0 && (old & FEATURES_OK) == 0 && !legacyMode && !featuresAcceptable()) {
            next &= ~FEATURES_OK;
        }
        status = next;
        if ((next & DRIVER_OK) != 0 && (old & DRIVER_OK) == 0) {
            activate();
        }
    }

    /** §3.1.1 step 5, §6.1: nothing the device did not offer, and VERSION_1 through the modern interface. */
    private boolean featuresAcceptable() {
        long unoffered = driverFeatures & ~offeredFeatures;
        if (unoffered != 0 || (driverFeatures & VirtioFeatures.VERSION_1) == 0) {
            LOG.log(System.Logger.Level.WARNING, "virtio-pci {0}: FEATURES_OK refused: driver features 0x{1},"
                + " offered 0x{2}", device.deviceType(), Long.toHexString(driverFeatures),
                Long.toHexString(offeredFeatures));
            return false;
        }
        return true;
    }

    private void activate() {
        if (!legacyMode && (status & FEATURES_OK) == 0) {
            interrupt.needsReset("DRIVER_OK without FEATURES_OK");
            return;
        }
        long features = legacyMode ? driverFeatures & LOW32 : driverFeatures;
        SplitQueue[] split = new SplitQueue[queueCount];
        for (int i = 0; i < queueCount; i++) {
            QueueRegisters r = queues[i];
            SplitQueue q = new SplitQueue(memory, r.maxSize);
            split[i] = q;
            if (!r.enabled) {
                continue;
            }
            q.setSize(r.size);
            q.setDescTableGpa(r.desc);
            q.setAvailRingGpa(r.driver);
            q.setUsedRingGpa(r.device);
            q.setEventIdx(VirtioFeatures.has(features, VirtioFeatures.RING_EVENT_IDX));
            q.setIndirectDesc(VirtioFeatures.has(features, VirtioFeatures.RING_INDIRECT_DESC));
            QueueError code = q.enable();
            if (code != QueueError.OK) {
                interrupt.needsReset("queue " + i + " cannot be enabled: " + code.describe() + " (size "
                    + r.size + ", desc 0x" + Long.toHexString(r.desc) + ", avail 0x" + Long.toHexString(r.driver)
                    + ", used 0x" + Long.toHexString(r.device) + ")");
                return;
            }
        }
        activeQueues = split;
        active = true;
        device.activate(features, split, interrupt);
    }

    /** §2.4: back to the state after construction, except the MSI-X table (PCI state) and the generation. */
    private void resetDevice() {
        active = false;
        device.reset();
        activeQueues = null;
        status = 0;
        needsReset = false;
        deviceFeatureSelect = 0;
        driverFeatureSelect = 0;
        driverFeatures = 0;
        queueSelect = 0;
        legacyMode = false;
        for (int q = 0; q < queueCount; q++) {
            queues[q].reset();
            queueVectors.set(q, NO_VECTOR);
        }
        configVector = NO_VECTOR;
        isr.set(0);
        configGeneration.incrementAndGet();
    }

    /** The queues handed to the device at activation, or null while inactive (for the VMM and tests). */
    public synchronized SplitQueue[] activeQueues() {
        return activeQueues == null ? null : activeQueues.clone();
    }

    // ---- legacy interface (§4.1.4.8) ----------------------------------------------------------------

    private int legacyConfigBase() {
        return table.isEnabled() ? VirtioPciLayout.LEGACY_CONFIG_MSIX : VirtioPciLayout.LEGACY_CONFIG_NO_MSIX;
    }

    private synchronized int readLegacy(int off, int size) {
        int base = legacyConfigBase();
        if (off >= base) {
            int c = off - base;
            return deviceConfigFits(c, size, false) ? device.readConfig(c, size) & (int) mask(size) : 0;
        }
        QueueRegisters q = selected();
        return switch (off << 4 | size) {
            case VirtioPciLayout.LEGACY_HOST_FEATURES << 4 | 4 -> (int) offeredFeatures;
            case VirtioPciLayout.LEGACY_GUEST_FEATURES << 4 | 4 -> (int) driverFeatures;
            case VirtioPciLayout.LEGACY_QUEUE_PFN << 4 | 4 -> q == null ? 0 : (int) q.legacyPfn();
            case VirtioPciLayout.LEGACY_QUEUE_SIZE << 4 | 2 -> q == null ? 0 : q.maxSize;
            case VirtioPciLayout.LEGACY_QUEUE_SELECT << 4 | 2 -> queueSelect;
            case VirtioPciLayout.LEGACY_STATUS << 4 | 1 -> deviceStatus();
            case VirtioPciLayout.LEGACY_ISR << 4 | 1 -> isr.getAndSet(0);
            case VirtioPciLayout.LEGACY_CONFIG_VECTOR << 4 | 2 -> configVector;
            case VirtioPciLayout.LEGACY_QUEUE_VECTOR << 4 | 2 -> q == null ? NO_VECTOR : queueVectors.get(queueSelect);
            default -> 0;
        };
    }

    private synchronized void writeLegacy(int off, int size, long value) {
        int base = legacyConfigBase();
        int v = (int) value;
        if (off >= base) {
            int c = off - base;
            if (deviceConfigFits(c, size, false)) {
                device.writeConfig(c, size, v);
            }
            return;
        }
        QueueRegisters q = selected();
        switch (off << 4 | size) {
            case VirtioPciLayout.LEGACY_GUEST_FEATURES << 4 | 4 -> {
                if (!active) {
                    driverFeatures = Integer.toUnsignedLong(v) & offeredFeatures;
                }
            }
            case VirtioPciLayout.LEGACY_QUEUE_PFN << 4 | 4 -> {
                if (q != null && !active) {
                    q.setLegacyPfn(Integer.toUnsignedLong(v));
                }
            }
            case VirtioPciLayout.LEGACY_QUEUE_SELECT << 4 | 2 -> queueSelect = v & 0xffff;
            case VirtioPciLayout.LEGACY_QUEUE_NOTIFY << 4 | 2 -> notifyQueue(v & 0xffff);
            case VirtioPciLayout.LEGACY_STATUS << 4 | 1 -> writeStatus(v & 0xff);
            case VirtioPciLayout.LEGACY_CONFIG_VECTOR << 4 | 2 -> configVector = checkedVector(v);
            case VirtioPciLayout.LEGACY_QUEUE_VECTOR << 4 | 2 -> {
                if (q != null) {
                    queueVectors.set(queueSelect, checkedVector(v));
                }
            }
            default -> {
                return;
            }
        }
        // Any legacy register write after a reset means a legacy driver: features are 32-bit, no FEATURES_OK.
        legacyMode = true;
    }

    // ---- interrupts ---------------------------------------------------------------------------------

    private void deliver(int vector, int isrBit) {
        // Fast path, no lock: the vector is deliverable, one write to its irqfd.
        if (vector != NO_VECTOR && vector < table.vectors() && table.deliverableAcquire(vector)) {
            sink.raise(vector);
            return;
        }
        if (vector == NO_VECTOR || vector >= table.vectors() || !table.isEnabled()) {
            isr.accumulateAndGet(isrBit, (a, b) -> a | b);
            return;
        }
        // Masked: pending under the table's lock; setPending delivers at once if an unmask raced us.
        table.setPending(vector);
    }

    /** What the device sees; lock-free while the vector is deliverable (see {@link #deliver}). */
    private final class Interrupt implements VirtioInterrupt {
        @Override
        public void signalUsed(int queue) {
            if (queue >= 0 && queue < queueCount) {
                deliver(queueVectors.get(queue), ISR_QUEUE);
            }
        }

        @Override
        public void signalConfigChange() {
            configGeneration.incrementAndGet();
            deliver(configVector, ISR_CONFIG);
        }

        @Override
        public void needsReset(String why) {
            LOG.log(System.Logger.Level.WARNING, "virtio-pci device type {0} needs reset: {1}", device.deviceType(),
                why);
            needsReset = true;
            deliver(configVector, ISR_CONFIG);
        }
    }

    /** Forwards table changes to the VMM's listener and sends pending messages that became deliverable. */
    private final class VectorForwarder implements MsixVectorListener {
        @Override
        public void vectorChanged(int vector, long address, int data, boolean masked) {
            MsixVectorListener l = vectorListener;
            if (l != null) {
                l.vectorChanged(vector, address, data, masked);
            }
        }

        @Override
        public void functionChanged(boolean enabled, boolean functionMasked) {
            MsixVectorListener l = vectorListener;
            if (l != null) {
                l.functionChanged(enabled, functionMasked);
            }
        }

        @Override
        public void deliverPending(int vector) {
            sink.raise(vector);
        }
    }
}
