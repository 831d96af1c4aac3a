package io.vireo.vmm.devices;

/**
 * A minimal i8042 keyboard controller, in the spirit of Firecracker's: no keyboard or mouse behind it, no IRQ,
 * just enough that a guest can reset the machine (command 0xFE, "pulse output line 0": the CPU reset line)
 * and that Linux's probe finds a sane controller instead of spinning.
 *
 * <pre>
 * port  read                                   write
 * 0x60  output buffer (0 when empty)           data: argument of a pending command, else a byte for the
 *                                              keyboard, which is absent: dropped
 * 0x64  status: OBF (bit 0) when a command     command:
 *       left a byte; otherwise 0                 0x20 read CTR        0x60 write CTR (next 0x60 byte)
 *                                                0xAA self test: 0x55 0xAB keyboard port test: 0x00
 *                                                0xA9 AUX port test: 0x01 (no AUX port)
 *                                                0xA7/0xA8 AUX off/on 0xAD/0xAE keyboard off/on (CTR bits)
 *                                                0xD1 write output port: bit 0 clear = reset
 *                                                0xD2/0xD3/0xD4: the next 0x60 byte is dropped
 *                                                0xFE reset           others: ignored
 * </pre>
 * The input buffer is always empty (status bit 1 clear), so a guest waiting to write never waits.
 */
public final class I8042 implements PioDevice {
    public static final int DATA_PORT = 0x60;
    public static final int COMMAND_PORT = 0x64;

    static final int STATUS_OBF = 0x01;

    static final int CMD_READ_CTR = 0x20;
    static final int CMD_WRITE_CTR = 0x60;
    static final int CMD_AUX_DISABLE = 0xa7;
    static final int CMD_AUX_ENABLE = 0xa8;
    static final int CMD_AUX_TEST = 0xa9;
    static final int CMD_SELF_TEST = 0xaa;
    static final int CMD_KBD_TEST = 0xab;
    static final int CMD_KBD_DISABLE = 0xad;
    static final int CMD_KBD_ENABLE = 0xae;
    static final int CMD_WRITE_OUTPUT_PORT = 0xd1;
    static final int CMD_WRITE_KBD_OUTBUF = 0xd2;
    static final int CMD_WRITE_AUX_OUTBUF = 0xd3;
    static final int CMD_WRITE_AUX = 0xd4;
    static final int CMD_PULSE_RESET = 0xfe;

    static final int SELF_TEST_OK = 0x55;
    static final int PORT_TEST_OK = 0x00;
    /**
     * AUX interface test answer 0x01, "clock line stuck low": Linux's i8042_check_aux treats it as no AUX port
     * (it forgives 0xFF and 0xFA, which broken chipsets return for working ports).
     */
    static final int AUX_TEST_NO_PORT = 0x01;

    static final int CTR_KBD_DISABLED = 0x10;
    static final int CTR_AUX_DISABLED = 0x20;
    /** Controller configuration at power-on: system flag (POST passed) and scancode translation. */
    static final int CTR_DEFAULT = 0x44;

    private static final int NO_COMMAND = -1;

    private final PlatformControl control;
    private int ctr = CTR_DEFAULT;
    private int outputByte;
    private boolean outputFull;
    private int pendingCommand = NO_COMMAND;

    public I8042(PlatformControl control) {
        this.control = control;
    }

    @Override
    public synchronized int read(int port, int size) {
        if (port == COMMAND_PORT) {
            return outputFull ? STATUS_OBF : 0;
        }
        if (port == DATA_PORT && outputFull) {
            outputFull = false;
            return outputByte;
        }
        return 0;
    }

    @Override
    public void write(int port, int size, int value) {
        boolean reset;
        synchronized (this) {
            int b = value & 0xff;
            reset = port == COMMAND_PORT ? command(b) : port == DATA_PORT && data(b);
        }
        // Outside the lock: the machine stops vCPUs, one of which may be waiting for it.
        if (reset) {
            control.reset("i8042");
        }
    }

    /** Handles a controller command; returns true when it asks for a reset. */
    private boolean command(int cmd) {
        pendingCommand = NO_COMMAND;
        switch (cmd) {
            case CMD_READ_CTR -> output(ctr);
            case CMD_WRITE_CTR, CMD_WRITE_OUTPUT_PORT, CMD_WRITE_KBD_OUTBUF, CMD_WRITE_AUX_OUTBUF, CMD_WRITE_AUX ->
                pendingCommand = cmd;
            case CMD_SELF_TEST -> output(SELF_TEST_OK);
            case CMD_KBD_TEST -> output(PORT_TEST_OK);
            case CMD_AUX_TEST -> output(AUX_TEST_NO_PORT);
            case CMD_AUX_DISABLE -> ctr |= CTR_AUX_DISABLED;
            case CMD_AUX_ENABLE -> ctr &= ~CTR_AUX_DISABLED;
            case CMD_KBD_DISABLE -> ctr |= CTR_KBD_DISABLED;
            case CMD_KBD_ENABLE -> ctr &= ~CTR_KBD_DISABLED;
            case CMD_PULSE_RESET -> {
                return true;
            }
            default -> {
                // Unknown commands are ignored: no reply, so the guest's wait times out rather than hangs.
            }
        }
        return false;
    }

    /** Handles a byte on the data port; returns true when it asks for a reset. */
    private boolean data(int b) {
        int cmd = pendingCommand;
        pendingCommand = NO_COMMAND;
        switch (cmd) {
            case CMD_WRITE_CTR -> ctr = b;
            case CMD_WRITE_OUTPUT_PORT -> {
                // Output port bit 0 drives the CPU reset line, active low.
                return (b & 0x01) == 0;
            }
            default -> {
                // A byte for the keyboard or the AUX port: neither exists, so it is dropped.
            }
        }
        return false;
    }

    private void output(int b) {
        outputByte = b & 0xff;
        outputFull = true;
    }
}
