package io.vireo.vmm.devices;

/**
 * One interrupt input pin, driven by level: {@code set(true)} asserts it, {@code set(false)} deasserts it.
 * A device calls it only when the level changes. The implementation (a KVM_IRQ_LINE ioctl) must not call
 * back into the device.
 */
@FunctionalInterface
public interface IrqLine {
    void set(boolean level);
}
