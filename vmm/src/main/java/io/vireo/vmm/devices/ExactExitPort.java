package io.vireo.vmm.devices;

/**
 * Vireo's exact-status exit port (0xf8, one byte): a write of {@code n} ends the VM with status
 * {@code n}. isa-debug-exit can only report odd statuses; a Linux guest's {@code /init} reports a
 * command's status here first, so {@code vireo run --guest linux -- sh -c 'exit 8'} exits 8.
 * QEMU has nothing at 0xf8 and ignores the write, so the same guest falls back to 0xf4 there.
 */
public final class ExactExitPort implements PioDevice {
    public static final int PORT = 0xf8;

    private final PlatformControl control;

    public ExactExitPort(PlatformControl control) {
        this.control = control;
    }

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public void write(int port, int size, int value) {
        control.debugExit(value & 0xff);
    }
}
