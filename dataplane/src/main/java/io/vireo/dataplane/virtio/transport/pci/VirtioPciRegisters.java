package io.vireo.dataplane.virtio.transport.pci;

import static io.vireo.dataplane.virtio.VirtioFeatures.DEVICE_NEEDS_RESET;
import static io.vireo.dataplane.virtio.VirtioFeatures.FEATURES_OK;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.NO_VECTOR;

import io.vireo.dataplane.pci.MsixTable;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The transport state the driver reads and writes, through the common config ({@link CommonConfigRegisters}) or the
 * legacy block ({@link LegacyRegisters}): feature words, status, queue selection, each queue's registers and
 * vectors. Plain fields are guarded by the function's lock; the atomics and volatiles are also read by queue workers
 * (interrupt delivery) without it.
 */
final class VirtioPciRegisters {
    static final long LOW32 = 0xffff_ffffL;

    final int queueCount;
    final QueueRegisters[] queues;
    final long offeredFeatures;
    private final MsixTable table;

    // Read by queue workers without the function's lock.
    final AtomicIntegerArray queueVectors;
    final AtomicInteger isr = new AtomicInteger();
    final AtomicInteger configGeneration = new AtomicInteger();
    volatile int configVector = NO_VECTOR;
    volatile boolean needsReset;
    volatile boolean active;

    // Guarded by the function's lock.
    int status;
    int deviceFeatureSelect;
    int driverFeatureSelect;
    long driverFeatures;
    int queueSelect;
    boolean legacyMode;

    VirtioPciRegisters(QueueRegisters[] queues, long offeredFeatures, MsixTable table) {
        this.queueCount = queues.length;
        this.queues = queues;
        this.offeredFeatures = offeredFeatures;
        this.table = table;
        queueVectors = new AtomicIntegerArray(queueCount);
        for (int q = 0; q < queueCount; q++) {
            queueVectors.set(q, NO_VECTOR);
        }
    }

    /** The queue QUEUE_SELECT names, or null past the last queue. */
    QueueRegisters selected() {
        return queueSelect < queueCount ? queues[queueSelect] : null;
    }

    /** §4.1.5.1.2: a vector the table does not have reads back NO_VECTOR. */
    int checkedVector(int v) {
        int vector = v & 0xffff;
        return vector < table.vectors() ? vector : NO_VECTOR;
    }

    /** The status register as the driver reads it: what it wrote, plus DEVICE_NEEDS_RESET when set. */
    int deviceStatus() {
        return status | (needsReset ? DEVICE_NEEDS_RESET : 0);
    }

    /** A word of driver_feature at driver_feature_select. */
    void writeDriverFeatures(int v) {
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

    /** §2.4: every register back to its state after construction; the generation moves on. */
    void reset() {
        active = false;
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

    /** All ones in the low {@code size} bytes. */
    static long mask(int size) {
        return size == 8 ? -1L : (1L << (8 * size)) - 1;
    }
}
