package io.vireo.vmm.devices;

/**
 * The exit ports a guest ends the VM through, reporting its result as the VMM's exit status.
 * <ul>
 *   <li>{@link #isaDebugExit}: QEMU's isa-debug-exit ({@code -device isa-debug-exit,iobase=0xf4,iosize=0x04}):
 *       a write of {@code v} ends the VM with status {@code (v << 1) | 1}, so the same guest binary works
 *       under both VMMs. Odd by construction: "exited 0" always means a clean power-off.</li>
 *   <li>{@link #exact}: Vireo's exact-status port (0xf8, one byte): a write of {@code n} ends the VM with
 *       status {@code n}. The Linux guest's /init reports a command's status here first; QEMU has nothing
 *       at 0xf8 and ignores it, so the same guest falls back to 0xf4 there.</li>
 * </ul>
 * Reads return 0.
 */
public final class DebugExitPort implements PioDevice {
    public static final int PORT = 0xf4;
    public static final int LENGTH = 4;
    public static final int EXACT_PORT = 0xf8;

    private final PlatformControl control;
    private final boolean exact;

    private DebugExitPort(PlatformControl control, boolean exact) {
        this.control = control;
        this.exact = exact;
    }

    public static DebugExitPort isaDebugExit(PlatformControl control) {
        return new DebugExitPort(control, false);
    }

    public static DebugExitPort exact(PlatformControl control) {
        return new DebugExitPort(control, true);
    }

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public void write(int port, int size, int value) {
        control.debugExit(exact ? value & 0xff : (value << 1) | 1);
    }
}
