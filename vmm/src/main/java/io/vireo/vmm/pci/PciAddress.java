package io.vireo.vmm.pci;

/** A function's bus/device/function number; printed the way lspci and Linux do, {@code 00:1f.7}. */
public record PciAddress(int bus, int device, int function) {
    public static final int DEVICES_PER_BUS = 32;
    public static final int FUNCTIONS_PER_DEVICE = 8;

    public PciAddress {
        if (bus < 0 || bus > 255 || device < 0 || device >= DEVICES_PER_BUS || function < 0
            || function >= FUNCTIONS_PER_DEVICE) {
            throw new IllegalArgumentException("bad PCI address bus=" + bus + ", device=" + device + ", function="
                + function + " (bus 0-255, device 0-31, function 0-7)");
        }
    }

    @Override
    public String toString() {
        return String.format("%02x:%02x.%x", bus, device, function);
    }
}
