package io.vireo.vmm.devices;

/**
 * QEMU's isa-debug-exit device ({@code -device isa-debug-exit,iobase=0xf4,iosize=0x04}): a write of
 * {@code v} ends the VM with status {@code (v << 1) | 1}, so a test guest can report pass or fail through the
 * VMM's exit status, and the same guest binary works under both VMMs. Reads return 0.
 */
public final class DebugExitPort implements PioDevice {
    public static final int PORT = 0xf4;
    public static final int LENGTH = 4;

    private final PlatformControl control;

    public DebugExitPort(PlatformControl control) {
        this.control = control;
    }

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public void write(int port, int size, int value) {
        // Odd by construction: a guest cannot produce status 0, so "exited 0" always means a clean shutdown.
        control.debugExit((value << 1) | 1);
    }
}
