package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciConfigSpace;
import io.vireo.dataplane.pci.PciFunction;

import java.util.ArrayList;
import java.util.List;

/** A function with the given BARs whose registers read back {@code bar << 24 | offset} and record writes. */
final class TestFunction implements PciFunction {
    final PciConfigSpace config;
    final List<String> writes = new ArrayList<>();

    TestFunction(int deviceId, PciBar... bars) {
        config = new PciConfigSpace(0x1af4, deviceId, 0x010000);
        int index = 0;
        for (PciBar bar : bars) {
            config.defineBar(index, bar);
            index += bar.is64Bit() ? 2 : 1;
        }
    }

    @Override
    public PciConfigSpace config() {
        return config;
    }

    @Override
    public long readBar(int bar, long offset, int size) {
        return (long) bar << 24 | offset;
    }

    @Override
    public void writeBar(int bar, long offset, int size, long value) {
        writes.add(bar + "+0x" + Long.toHexString(offset) + "/" + size + "=0x" + Long.toHexString(value));
    }
}
