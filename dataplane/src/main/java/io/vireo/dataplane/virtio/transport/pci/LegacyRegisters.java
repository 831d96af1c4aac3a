package io.vireo.dataplane.virtio.transport.pci;

import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.NO_VECTOR;

import io.vireo.dataplane.pci.MsixTable;

/**
 * The legacy register block (§4.1.4.8) in I/O BAR 0 of a transitional function, over the same
 * {@link VirtioPciRegisters} as the common config: 32-bit features, the queue PFN, status, ISR, and the vectors when
 * MSI-X is on; the device config follows (at 20 or 24). Any legacy write marks the driver legacy (32-bit features, no
 * FEATURES_OK). Called under the function's lock.
 */
final class LegacyRegisters {
    private final VirtioPciRegisters r;
    private final VirtioPciFunction fn;
    private final MsixTable table;

    LegacyRegisters(VirtioPciRegisters r, VirtioPciFunction fn, MsixTable table) {
        this.r = r;
        this.fn = fn;
        this.table = table;
    }

    /** The device config starts after the MSI-X vector registers only while MSI-X is enabled. */
    private int configBase() {
        return table.isEnabled() ? VirtioPciLayout.LEGACY_CONFIG_MSIX : VirtioPciLayout.LEGACY_CONFIG_NO_MSIX;
    }

    int read(int off, int size) {
        int base = configBase();
        if (off >= base) {
            return (int) fn.readDeviceConfig(off - base, size, false);
        }
        QueueRegisters q = r.selected();
        return switch (off << 4 | size) {
            case VirtioPciLayout.LEGACY_HOST_FEATURES << 4 | 4 -> (int) r.offeredFeatures;
            case VirtioPciLayout.LEGACY_GUEST_FEATURES << 4 | 4 -> (int) r.driverFeatures;
            case VirtioPciLayout.LEGACY_QUEUE_PFN << 4 | 4 -> q == null ? 0 : (int) q.legacyPfn();
            case VirtioPciLayout.LEGACY_QUEUE_SIZE << 4 | 2 -> q == null ? 0 : q.maxSize;
            case VirtioPciLayout.LEGACY_QUEUE_SELECT << 4 | 2 -> r.queueSelect;
            case VirtioPciLayout.LEGACY_STATUS << 4 | 1 -> r.deviceStatus();
            case VirtioPciLayout.LEGACY_ISR << 4 | 1 -> fn.readIsr();
            case VirtioPciLayout.LEGACY_CONFIG_VECTOR << 4 | 2 -> r.configVector;
            case VirtioPciLayout.LEGACY_QUEUE_VECTOR << 4 | 2 ->
                q == null ? NO_VECTOR : r.queueVectors.get(r.queueSelect);
            default -> 0;
        };
    }

    void write(int off, int size, long value) {
        int base = configBase();
        int v = (int) value;
        if (off >= base) {
            fn.writeDeviceConfig(off - base, size, v, false);
            return;
        }
        QueueRegisters q = r.selected();
        switch (off << 4 | size) {
            case VirtioPciLayout.LEGACY_GUEST_FEATURES << 4 | 4 -> {
                if (!r.active) {
                    r.driverFeatures = Integer.toUnsignedLong(v) & r.offeredFeatures;
                }
            }
            case VirtioPciLayout.LEGACY_QUEUE_PFN << 4 | 4 -> {
                if (q != null && !r.active) {
                    q.setLegacyPfn(Integer.toUnsignedLong(v));
                }
            }
            case VirtioPciLayout.LEGACY_QUEUE_SELECT << 4 | 2 -> r.queueSelect = v & 0xffff;
            case VirtioPciLayout.LEGACY_QUEUE_NOTIFY << 4 | 2 -> fn.notifyQueue(v & 0xffff);
            case VirtioPciLayout.LEGACY_STATUS << 4 | 1 -> fn.writeStatus(v & 0xff);
            case VirtioPciLayout.LEGACY_CONFIG_VECTOR << 4 | 2 -> r.configVector = r.checkedVector(v);
            case VirtioPciLayout.LEGACY_QUEUE_VECTOR << 4 | 2 -> {
                if (q != null) {
                    r.queueVectors.set(r.queueSelect, r.checkedVector(v));
                }
            }
            default -> {
                return;
            }
        }
        // Any legacy register write after a reset means a legacy driver: features are 32-bit, no FEATURES_OK.
        r.legacyMode = true;
    }
}
