package io.vireo.dataplane.virtio.transport.pci;

import static io.vireo.dataplane.virtio.VirtioFeatures.DEVICE_NEEDS_RESET;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER_OK;
import static io.vireo.dataplane.virtio.VirtioFeatures.FEATURES_OK;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.ISR_CONFIG;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.ISR_QUEUE;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MODERN_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MSIX_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.NO_VECTOR;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.pci.MsixCapability;
import io.vireo.dataplane.pci.MsixLayout;
import io.vireo.dataplane.pci.MsixTable;
import io.vireo.dataplane.pci.MsixVectorListener;
import io.vireo.dataplane.pci.PciConfigSpace;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.virtio.FaultLog;
import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A virtio device behind a PCI function (virtio 1.2 §4.1): config space with the virtio vendor capabilities and
 * MSI-X, the modern register regions in BAR 4, the MSI-X table in BAR 1 and, for a transitional device, the legacy
 * register block in I/O BAR 0. Layout and register maps: {@link VirtioPciLayout}; the config space and capabilities:
 * {@link VirtioPciCapabilities}; the register files: {@link CommonConfigRegisters}, {@link LegacyRegisters} over
 * {@link VirtioPciRegisters}; the PCI_CFG window: {@link PciCfgWindow}. This class keeps the status machine, the BAR
 * decode and the interrupts.
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
 * bit and, when the VMM wired INTx# ({@link #setIntx}), asserts it until ISR is read; else the interrupt pin is 0 and a
 * driver without MSI-X can only poll ISR.
 *
 * <p>Threading: register accesses come from vCPU threads, serialised by this object's lock; {@link VirtioInterrupt}
 * calls come from queue workers and take no lock of ours (only the MSI-X table's), so a device may wait for its
 * worker inside {@link VirtioDevice#reset()} without deadlock. A register write that starts or ends the device's
 * life (DRIVER_OK, a status reset, a function reset) is decided and recorded under our lock; the device's
 * {@code activate} or {@code reset} (which may wait for its queue agents) runs after the lock is released, in the
 * order recorded, serialised by a second lock that register accesses never take. So other vCPUs keep reading and
 * writing registers while one waits for the device. Config reads/writes and {@code processQueue} take no lock.
 *
 * <p>Features the transport cannot serve ({@link #TRANSPORT_UNSUPPORTED}: packed rings, RING_RESET, notification
 * data, SR-IOV) are never offered, whatever the device says. A legacy driver sees and negotiates bits 0-31 only.
 */
public final class VirtioPciFunction implements PciFunction {
    /** Offered bits the transport masks out. */
    public static final long TRANSPORT_UNSUPPORTED = VirtioFeatures.RING_PACKED | VirtioFeatures.RING_RESET
        | VirtioFeatures.NOTIFICATION_DATA | VirtioFeatures.NOTIF_CONFIG_DATA | VirtioFeatures.SR_IOV;

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final MsixInterruptSink sink;
    private final boolean transitional;
    private final PciConfigSpace config;
    private final MsixCapability msix;
    private final MsixTable table;
    private final int queueCount;
    private final int configSize;
    private final VirtioPciRegisters regs;
    private final CommonConfigRegisters common;
    private final LegacyRegisters legacy;
    private final PciCfgWindow pciCfg;
    private final Interrupt interrupt = new Interrupt();
    private volatile NotifyListener notifyListener;
    private volatile MsixVectorListener vectorListener;
    /** INTx#, when the VMM wired one ({@link #setIntx}); asserted while ISR is non-zero and INTx is enabled. */
    private volatile IntxLine intx;
    private final AtomicBoolean intxAsserted = new AtomicBoolean();

    // Guarded by this.
    private SplitQueue[] activeQueues;
    /** The driver's faults the transport finds (negotiation, queue layout); the VMM shares the device's log here. */
    private volatile FaultLog faultLog;
    /** Device lifecycle calls recorded under our lock, run outside it by {@link #runLifecycle()}, in order. */
    private final ArrayDeque<Runnable> lifecycle = new ArrayDeque<>();

    /** Held while a lifecycle call runs: orders them; never taken while holding {@code this}. */
    private final Object lifecycleLock = new Object();
    private volatile boolean lifecyclePending;

    /**
     * @param device       the device model; its queue count and config size must fit the layout (checked)
     * @param memory       guest RAM the rings live in, not owned
     * @param sink         sends an MSI-X vector's message (the VMM's irqfd write)
     * @param transitional also expose the legacy interface (I/O BAR 0, legacy device id, revision 0)
     */
    public VirtioPciFunction(VirtioDevice device, GuestMemory memory, MsixInterruptSink sink, boolean transitional) {
        this.device = device;
        this.faultLog = new FaultLog("virtio-pci type " + device.deviceType());
        this.memory = memory;
        this.sink = sink;
        this.transitional = transitional;
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
        VirtioPciCapabilities layout = VirtioPciCapabilities.build(device.deviceType(), queueCount, configSize,
            transitional, new VectorForwarder());
        config = layout.config();
        msix = layout.msix();
        table = msix.table();
        pciCfg = new PciCfgWindow(config, layout.pciCfgCap());
        QueueRegisters[] queues = new QueueRegisters[queueCount];
        for (int q = 0; q < queueCount; q++) {
            queues[q] = new QueueRegisters(device.queueMaxSize(q));
        }
        long offered = (device.deviceFeatures() | VirtioFeatures.VERSION_1) & ~TRANSPORT_UNSUPPORTED;
        regs = new VirtioPciRegisters(queues, offered, table);
        common = new CommonConfigRegisters(regs, this);
        legacy = new LegacyRegisters(regs, this, table);
        notifyListener = device::processQueue;
    }

    /**
     * The size of the legacy I/O BAR a transitional function for {@code device} would have; 0 when its type has no
     * transitional (legacy) PCI device id, so it can only be modern. Lets the VMM decide before building the function
     * whether the I/O window still has room for it (QEMU's {@code disable-legacy=auto}).
     */
    public static long legacyIoBarSize(VirtioDevice device) {
        if (VirtioPciLayout.legacyDeviceId(device.deviceType()) < 0) {
            return 0;
        }
        return VirtioPciCapabilities.legacyBarSize(device.configSize());
    }

    // ---- VMM wiring ---------------------------------------------------------------------------------

    /** Logs this function's guest faults to {@code log} (the device's, so that both name the device the same way). */
    public void faultLog(FaultLog log) {
        this.faultLog = log;
    }

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

    /** A level-triggered INTx# line (the VMM's: a shared IOAPIC pin). */
    @FunctionalInterface
    public interface IntxLine {
        void set(boolean asserted);
    }

    /**
     * Wires INTA#: the interrupt pin register says 1, and an interrupt with no MSI-X vector to go to (MSI-X
     * disabled, or NO_VECTOR) sets ISR and asserts the line until the driver reads ISR (virtio 1.2, 4.1.4.5). A
     * driver that gets no MSI-X vectors (a guest out of interrupt vectors: Linux's virtio_pci falls back to INTx)
     * works this way. Before the guest runs.
     */
    public void setIntx(IntxLine line) {
        config.setInterruptPin(1);
        intx = line;
    }

    /** Deasserts INTx# if this function holds it (at reset, removal). */
    public void lowerIntx() {
        IntxLine l = intx;
        if (l != null && intxAsserted.compareAndSet(true, false)) {
            l.set(false);
        }
    }

    private void raiseIntx() {
        IntxLine l = intx;
        if (l != null && !config.intxDisabled() && intxAsserted.compareAndSet(false, true)) {
            l.set(true);
        }
    }

    /** ISR's read-to-clear (modern and legacy), which also ends the INTx# assertion. */
    int readIsr() {
        int v = regs.isr.getAndSet(0);
        lowerIntx();
        return v;
    }

    /** Hears MSI-X table/capability changes (for KVM GSI routes); pending deliveries always go to the sink. */
    public void setMsixVectorListener(MsixVectorListener listener) {
        vectorListener = listener;
    }

    /** The interrupt object handed to the device at activation (also usable before, e.g. for config changes). */
    public VirtioInterrupt interrupt() {
        return interrupt;
    }

    /** The MSI-X vector the driver gave queue {@code queue} (queue_msix_vector), or NO_VECTOR (0xffff). */
    public int queueVector(int queue) {
        return regs.queueVectors.get(queue);
    }

    public boolean isActive() {
        return regs.active;
    }

    public synchronized int deviceStatus() {
        return regs.deviceStatus();
    }

    public synchronized long driverFeatures() {
        return regs.driverFeatures;
    }

    public long offeredFeatures() {
        return regs.offeredFeatures;
    }

    /** Function level reset (or VMM reset): the device reset plus MSI-X back to its power-on state. */
    public void functionReset() {
        synchronized (this) {
            resetDevice();
            config.setRegister(msix.capabilityOffset() + MsixLayout.MESSAGE_CONTROL_OFFSET, 2, table.vectors() - 1);
            table.reset();
        }
        runLifecycle();
    }

    /** Records a device lifecycle call (under our lock) for {@link #runLifecycle()}. */
    private void recordLifecycle(Runnable call) {
        lifecycle.add(call);
        lifecyclePending = true;
    }

    /**
     * Runs the recorded lifecycle calls, in order, without our lock (a device may wait up to its agents' timeout in
     * them). Called by whoever recorded them, after releasing the lock; a concurrent caller waits its turn on the
     * lifecycle lock only, so register accesses go on meanwhile.
     */
    private void runLifecycle() {
        if (!lifecyclePending) {
            return;
        }
        synchronized (lifecycleLock) {
            while (true) {
                Runnable call;
                synchronized (this) {
                    call = lifecycle.poll();
                    lifecyclePending = !lifecycle.isEmpty();
                }
                if (call == null) {
                    return;
                }
                call.run();
            }
        }
    }

    // ---- config space -------------------------------------------------------------------------------

    @Override
    public int readConfig(int offset, int size) {
        if (pciCfg.isData(offset, size)) {
            int length = pciCfg.length();
            return length <= 0 ? 0 : (int) readBar(pciCfg.bar(), pciCfg.offset(), length);
        }
        return config.read(offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        if (pciCfg.isData(offset, size)) {
            int length = pciCfg.length();
            if (length > 0) {
                writeBar(pciCfg.bar(), pciCfg.offset(), length, value);
            }
            return;
        }
        config.write(offset, size, value);
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
            if (offset >= VirtioPciLayout.REGION_SIZE) {
                return 0;
            }
            synchronized (this) {
                return Integer.toUnsignedLong(legacy.read((int) offset, size));
            }
        }
        if (bar != MODERN_BAR || offset >= VirtioPciLayout.MODERN_BAR_SIZE) {
            return 0;
        }
        int off = (int) offset & (VirtioPciLayout.REGION_SIZE - 1);
        switch ((int) offset & ~(VirtioPciLayout.REGION_SIZE - 1)) {
            case VirtioPciLayout.COMMON_CFG_OFFSET -> {
                synchronized (this) {
                    return common.read(off, size);
                }
            }
            case VirtioPciLayout.ISR_CFG_OFFSET -> {
                return off == 0 && size == 1 ? readIsr() : 0;
            }
            case VirtioPciLayout.DEVICE_CFG_OFFSET -> {
                return readDeviceConfig(off, size, true);
            }
            default -> {
                return 0;
            }
        }
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
                synchronized (this) {
                    legacy.write((int) offset, size, value);
                }
                runLifecycle();
            }
            return;
        }
        if (bar != MODERN_BAR || offset >= VirtioPciLayout.MODERN_BAR_SIZE) {
            return;
        }
        int off = (int) offset & (VirtioPciLayout.REGION_SIZE - 1);
        switch ((int) offset & ~(VirtioPciLayout.REGION_SIZE - 1)) {
            case VirtioPciLayout.COMMON_CFG_OFFSET -> {
                synchronized (this) {
                    common.write(off, size, value);
                }
                runLifecycle();
            }
            case VirtioPciLayout.DEVICE_CFG_OFFSET -> writeDeviceConfig(off, size, (int) value, true);
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

    /** §4.1.3.1: 1, 2 or 4 bytes inside the device config; naturally aligned in the modern region. */
    private boolean deviceConfigFits(int off, int size, boolean aligned) {
        return size <= 4 && off >= 0 && off + size <= configSize && (!aligned || off % size == 0);
    }

    /** The device config at {@code off}, or 0 outside it. No lock of ours: the device guards its config. */
    long readDeviceConfig(int off, int size, boolean aligned) {
        return deviceConfigFits(off, size, aligned)
            ? Integer.toUnsignedLong(device.readConfig(off, size)) & VirtioPciRegisters.mask(size) : 0;
    }

    void writeDeviceConfig(int off, int size, int value, boolean aligned) {
        if (deviceConfigFits(off, size, aligned)) {
            device.writeConfig(off, size, value);
        }
    }

    void notifyQueue(int queue) {
        if (regs.active && queue >= 0 && queue < queueCount) {
            notifyListener.notified(queue);
        }
    }

    // ---- device status (§2.1, §3.1.1) ---------------------------------------------------------------

    /** A write of device_status (common config or legacy): reset, or bits set, DRIVER_OK activating. */
    void writeStatus(int value) {
        if (value == 0) {
            resetDevice();
            return;
        }
        int old = regs.status;
        // The driver only sets bits (§2.1.1); DEVICE_NEEDS_RESET is the device's to set.
        int next = old | value & ~DEVICE_NEEDS_RESET;
        if ((next & FEATURES_OK) != 0 && (old & FEATURES_OK) == 0 && !regs.legacyMode && !featuresAcceptable()) {
            next &= ~FEATURES_OK;
        }
        regs.status = next;
        if ((next & DRIVER_OK) != 0 && (old & DRIVER_OK) == 0) {
            activate();
        }
    }

    /** §3.1.1 step 5, §6.1: nothing the device did not offer, and VERSION_1 through the modern interface. */
    private boolean featuresAcceptable() {
        long unoffered = regs.driverFeatures & ~regs.offeredFeatures;
        if (unoffered != 0 || (regs.driverFeatures & VirtioFeatures.VERSION_1) == 0) {
            if (faultLog.admit()) {
                faultLog.log(-1, "FEATURES_OK_REFUSED (virtio 1.2 §3.1.1, §6.1) features not offered, or no VERSION_1",
                    "driver 0x" + Long.toHexString(regs.driverFeatures) + ", offered 0x"
                        + Long.toHexString(regs.offeredFeatures), "FEATURES_OK stays clear");
            }
            return false;
        }
        return true;
    }

    private void activate() {
        if (!regs.legacyMode && (regs.status & FEATURES_OK) == 0) {
            if (faultLog.admit()) {
                faultLog.log(-1, "DRIVER_OK_WITHOUT_FEATURES_OK (virtio 1.2 §3.1.1) driver skipped feature negotiation",
                    "status 0x" + Integer.toHexString(regs.status), "device needs reset");
            }
            interrupt.needsReset("DRIVER_OK without FEATURES_OK");
            return;
        }
        long features = regs.legacyMode ? regs.driverFeatures & VirtioPciRegisters.LOW32 : regs.driverFeatures;
        SplitQueue[] split = new SplitQueue[queueCount];
        for (int i = 0; i < queueCount; i++) {
            QueueRegisters r = regs.queues[i];
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
                if (faultLog.admit()) {
                    faultLog.log(i, code.describe(), "size " + r.size + ", desc 0x" + Long.toHexString(r.desc)
                        + ", avail 0x" + Long.toHexString(r.driver) + ", used 0x" + Long.toHexString(r.device),
                        "device needs reset");
                }
                interrupt.needsReset("queue " + i + " cannot be enabled: " + code.describe() + " (size "
                    + r.size + ", desc 0x" + Long.toHexString(r.desc) + ", avail 0x" + Long.toHexString(r.driver)
                    + ", used 0x" + Long.toHexString(r.device) + ")");
                return;
            }
        }
        activeQueues = split;
        regs.active = true;
        recordLifecycle(() -> device.activate(features, split, interrupt));
    }

    /** §2.4: back to the state after construction, except the MSI-X table (PCI state) and the generation. */
    private void resetDevice() {
        recordLifecycle(device::reset);
        activeQueues = null;
        regs.reset();
        lowerIntx();
    }

    /** The queues handed to the device at activation, or null while inactive (for the VMM and tests). */
    public synchronized SplitQueue[] activeQueues() {
        return activeQueues == null ? null : activeQueues.clone();
    }

    // ---- interrupts ---------------------------------------------------------------------------------

    private void deliver(int vector, int isrBit) {
        // Fast path, no lock: the vector is deliverable, one write to its irqfd.
        if (vector != NO_VECTOR && vector < table.vectors() && table.deliverableAcquire(vector)) {
            sink.raise(vector);
            return;
        }
        if (vector == NO_VECTOR || vector >= table.vectors() || !table.isEnabled()) {
            regs.isr.accumulateAndGet(isrBit, (a, b) -> a | b);
            raiseIntx();
            return;
        }
        // Masked: pending under the table's lock; setPending delivers at once if an unmask raced us.
        table.setPending(vector);
    }

    /**
     * The class of the interrupt a device of this transport signals through, loaded: for a VMM to load before code
     * that calls a {@link VirtioInterrupt} is compiled without any device (a data-plane warm-up over private queues
     * with an interrupt of its own). Compiled while that was the only implementation, the calls were bound to it, and
     * loading this class at the first device's activation deoptimized them (CompiledCodeKeptTest saw
     * {@code BlkQueue.publish} go in a run without the AOT cache, which loads it at start).
     */
    public static Class<? extends VirtioInterrupt> interruptClass() {
        return Interrupt.class;
    }

    /** What the device sees; lock-free while the vector is deliverable (see {@link #deliver}). */
    private final class Interrupt implements VirtioInterrupt {
        @Override
        public void signalUsed(int queue) {
            if (queue >= 0 && queue < queueCount) {
                deliver(regs.queueVectors.get(queue), ISR_QUEUE);
            }
        }

        @Override
        public void signalConfigChange() {
            regs.configGeneration.incrementAndGet();
            deliver(regs.configVector, ISR_CONFIG);
        }

        @Override
        public void needsReset(String why) {
            // Whoever found the fault logged it (the device, or this transport above): one event, one line.
            regs.needsReset = true;
            deliver(regs.configVector, ISR_CONFIG);
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
