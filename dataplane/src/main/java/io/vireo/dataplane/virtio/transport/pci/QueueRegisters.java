package io.vireo.dataplane.virtio.transport.pci;

import io.vireo.dataplane.virtio.queue.SplitRingLayout;

/**
 * What the driver has written about one queue through common config or the legacy block, before DRIVER_OK turns it
 * into a {@code SplitQueue}. Guarded by the function's lock.
 */
final class QueueRegisters {
    final int maxSize;
    int size;
    boolean enabled;
    long desc;
    long driver;
    long device;

    QueueRegisters(int maxSize) {
        this.maxSize = maxSize;
        reset();
    }

    void reset() {
        size = maxSize;
        enabled = false;
        desc = 0;
        driver = 0;
        device = 0;
    }

    /** §4.1.4.3.2: queue_size may be lowered to a power of two; anything else leaves it unchanged. */
    void writeSize(int value) {
        if (!enabled && value <= maxSize && SplitRingLayout.isValidQueueSize(value)) {
            size = value;
        }
    }

    /** Legacy PFN (§4.1.4.8, §2.7 legacy interface): avail right after desc, used at the next 4 KiB boundary. */
    void setLegacyPfn(long pfn) {
        if (pfn == 0) {
            reset();
            return;
        }
        size = maxSize;
        desc = pfn << VirtioPciLayout.LEGACY_PAGE_SHIFT;
        driver = desc + SplitRingLayout.descTableSizeBytes(size);
        long availEnd = driver + SplitRingLayout.availRingSizeBytes(size, true);
        device = (availEnd + VirtioPciLayout.LEGACY_VRING_ALIGN - 1) & -VirtioPciLayout.LEGACY_VRING_ALIGN;
        enabled = true;
    }

    long legacyPfn() {
        return enabled ? desc >>> VirtioPciLayout.LEGACY_PAGE_SHIFT : 0;
    }
}
