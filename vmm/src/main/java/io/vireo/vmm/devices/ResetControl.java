package io.vireo.vmm.devices;

/**
 * The Reset Control Register at 0xCF9 (the PIIX/ICH "RCR"), and the FADT's RESET_REG: writing a value with
 * bit 2 (SYS_RST) set resets the machine. Linux writes it for {@code reboot=pci} and, through the FADT, for the
 * default ACPI reboot (RESET_VALUE 0x06).
 *
 * <p>It owns only port 0xCF9. A PCI host bridge that later claims CONFIG_ADDRESS at 0xCF8 must register
 * 0xCF8 with length 1 (the bus dispatches by the first port of an access, and CONFIG_ADDRESS is only ever
 * accessed as a dword), leaving the byte at 0xCF9 here.
 */
public final class ResetControl implements PioDevice {
    public static final int PORT = 0xcf9;
    public static final int LENGTH = 1;
    /** SYS_RST: a write with this bit set resets. */
    public static final int SYS_RST = 0x04;
    /** The value the FADT tells the OS to write: SYS_RST | RST_CPU (hard reset). */
    public static final int RESET_VALUE = 0x06;

    private final PlatformControl control;
    private volatile int value;

    public ResetControl(PlatformControl control) {
        this.control = control;
    }

    @Override
    public int read(int port, int size) {
        return value;
    }

    @Override
    public void write(int port, int size, int v) {
        value = v & 0xff & ~SYS_RST;
        if ((v & SYS_RST) != 0) {
            control.reset("0xcf9");
        }
    }
}
