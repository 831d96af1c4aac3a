package io.vireo.dataplane.virtio.transport.pci;

import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.NO_VECTOR;

/**
 * The common configuration structure (§4.1.4.3) in BAR 4, as a register file over {@link VirtioPciRegisters}; the
 * map of fields is drawn in {@link VirtioPciLayout}. Each field has its natural width (64-bit addresses also take
 * two 32-bit halves); any other access reads 0 and writes nothing. Called under the function's lock.
 */
final class CommonConfigRegisters {
    private final VirtioPciRegisters r;
    private final VirtioPciFunction fn;

    CommonConfigRegisters(VirtioPciRegisters r, VirtioPciFunction fn) {
        this.r = r;
        this.fn = fn;
    }

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

    long read(int off, int size) {
        if (!commonWidthOk(off, size)) {
            return 0;
        }
        QueueRegisters q = r.selected();
        long v = switch (off) {
            case VirtioPciLayout.DEVICE_FEATURE_SELECT -> r.deviceFeatureSelect;
            case VirtioPciLayout.DEVICE_FEATURE -> featureWord(r.offeredFeatures, r.deviceFeatureSelect);
            case VirtioPciLayout.DRIVER_FEATURE_SELECT -> r.driverFeatureSelect;
            case VirtioPciLayout.DRIVER_FEATURE -> featureWord(r.driverFeatures, r.driverFeatureSelect);
            case VirtioPciLayout.CONFIG_MSIX_VECTOR -> r.configVector;
            case VirtioPciLayout.NUM_QUEUES -> r.queueCount;
            case VirtioPciLayout.DEVICE_STATUS -> r.deviceStatus();
            case VirtioPciLayout.CONFIG_GENERATION -> r.configGeneration.get() & 0xff;
            case VirtioPciLayout.QUEUE_SELECT -> r.queueSelect;
            case VirtioPciLayout.QUEUE_SIZE -> q == null ? 0 : q.size;
            case VirtioPciLayout.QUEUE_MSIX_VECTOR -> q == null ? NO_VECTOR : r.queueVectors.get(r.queueSelect);
            case VirtioPciLayout.QUEUE_ENABLE -> q != null && q.enabled ? 1 : 0;
            case VirtioPciLayout.QUEUE_NOTIFY_OFF, VirtioPciLayout.QUEUE_NOTIFY_DATA -> q == null ? 0 : r.queueSelect;
            case VirtioPciLayout.QUEUE_DESC_LO -> q == null ? 0 : q.desc;
            case VirtioPciLayout.QUEUE_DESC_HI -> q == null ? 0 : q.desc >>> 32;
            case VirtioPciLayout.QUEUE_DRIVER_LO -> q == null ? 0 : q.driver;
            case VirtioPciLayout.QUEUE_DRIVER_HI -> q == null ? 0 : q.driver >>> 32;
            case VirtioPciLayout.QUEUE_DEVICE_LO -> q == null ? 0 : q.device;
            case VirtioPciLayout.QUEUE_DEVICE_HI -> q == null ? 0 : q.device >>> 32;
            default -> 0;
        };
        return v & VirtioPciRegisters.mask(size);
    }

    private static long featureWord(long features, int select) {
        return switch (select) {
            case 0 -> features & VirtioPciRegisters.LOW32;
            case 1 -> features >>> 32;
            default -> 0;
        };
    }

    void write(int off, int size, long value) {
        if (!commonWidthOk(off, size)) {
            return;
        }
        int v = (int) value;
        QueueRegisters q = r.selected();
        // §4.1.4.3.2 / §2.7: queue layout is fixed once the queue is enabled or the device is live.
        boolean queueWritable = q != null && !q.enabled && !r.active;
        switch (off) {
            case VirtioPciLayout.DEVICE_FEATURE_SELECT -> r.deviceFeatureSelect = v;
            case VirtioPciLayout.DRIVER_FEATURE_SELECT -> r.driverFeatureSelect = v;
            case VirtioPciLayout.DRIVER_FEATURE -> r.writeDriverFeatures(v);
            case VirtioPciLayout.CONFIG_MSIX_VECTOR -> r.configVector = r.checkedVector(v);
            case VirtioPciLayout.DEVICE_STATUS -> fn.writeStatus(v & 0xff);
            case VirtioPciLayout.QUEUE_SELECT -> r.queueSelect = v & 0xffff;
            case VirtioPciLayout.QUEUE_SIZE -> {
                if (queueWritable) {
                    q.writeSize(v & 0xffff);
                }
            }
            case VirtioPciLayout.QUEUE_MSIX_VECTOR -> {
                if (q != null) {
                    r.queueVectors.set(r.queueSelect, r.checkedVector(v));
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
            now = old & VirtioPciRegisters.LOW32 | value << 32;
        } else {
            now = old & ~VirtioPciRegisters.LOW32 | value & VirtioPciRegisters.LOW32;
        }
        switch (field) {
            case VirtioPciLayout.QUEUE_DESC_LO -> q.desc = now;
            case VirtioPciLayout.QUEUE_DRIVER_LO -> q.driver = now;
            default -> q.device = now;
        }
    }
}
