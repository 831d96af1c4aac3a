package io.vireo.vmm.devices;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * The ACPI PM1a fixed-hardware registers (ACPI 6.5, "PM1 Event Grouping" and "PM1 Control Grouping",
 * Tables 4.11-4.13), at the ports the FADT advertises. Power-off is what matters here: the guest writes SLP_TYP
 * from its {@code \_S5} package together with SLP_EN.
 *
 * <pre>
 * port   size  register        behaviour
 * 0x600  2     PM1a_STS        write 1 to clear; nothing ever sets a bit today
 * 0x602  2     PM1a_EN         read/write
 * 0x604  2     PM1a_CNT        SCI_EN (bit 0) always reads 1: ACPI mode is always on (FADT SMI_CMD = 0);
 *                              SLP_TYP bits 12:10 + SLP_EN bit 13 = sleep; SLP_EN reads 0
 * 0x606  2     -               reads 0, writes ignored
 * </pre>
 * Accesses of any size at any offset are split into bytes, so a byte write to the high half of PM1a_CNT
 * (where SLP_TYP and SLP_EN both live) works like a word write.
 */
public final class AcpiPm implements PioDevice {
    public static final int BASE = 0x600;
    public static final int LENGTH = 8;
    public static final int PM1A_EVT_PORT = 0x600;
    public static final int PM1_EVT_LENGTH = 4;
    public static final int PM1A_CNT_PORT = 0x604;
    public static final int PM1_CNT_LENGTH = 2;
    /** The SCI is ISA IRQ 9, level-triggered, active high (MADT interrupt source override). */
    public static final int SCI_IRQ = 9;
    /** The SLP_TYP value the DSDT's {@code \_S5} package names and this device treats as power-off. */
    public static final int SLP_TYP_S5 = 5;

    static final int STS_OFFSET = 0;
    static final int EN_OFFSET = 2;
    static final int CNT_OFFSET = 4;
    static final int SCI_EN = 1;
    static final int SLP_TYP_SHIFT = 10;
    static final int SLP_TYP_MASK = 0x7 << SLP_TYP_SHIFT;
    static final int SLP_EN = 1 << 13;

    private static final Logger LOG = System.getLogger(AcpiPm.class.getName());

    private final PlatformControl control;
    private int status;
    private int enable;
    private int control16 = SCI_EN;

    public AcpiPm(PlatformControl control) {
        this.control = control;
    }

    @Override
    public int read(int port, int size) {
        int v = 0;
        synchronized (this) {
            for (int i = 0; i < size; i++) {
                v |= readByte(port - BASE + i) << (8 * i);
            }
        }
        return v;
    }

    @Override
    public void write(int port, int size, int value) {
        int sleepType = -1;
        synchronized (this) {
            for (int i = 0; i < size; i++) {
                int off = port - BASE + i;
                int b = (value >>> (8 * i)) & 0xff;
                if (writeByte(off, b)) {
                    sleepType = (control16 & SLP_TYP_MASK) >>> SLP_TYP_SHIFT;
                }
            }
        }
        // Outside the lock: the machine may stop vCPUs, and one of them could be waiting on this lock.
        if (sleepType == SLP_TYP_S5) {
            control.powerOff();
        } else if (sleepType >= 0) {
            LOG.log(Level.WARNING, "guest requested ACPI sleep type {0}; only S5 (SLP_TYP {1}) is supported, ignored",
                sleepType, SLP_TYP_S5);
        }
    }

    private int readByte(int off) {
        return switch (off) {
            case STS_OFFSET, STS_OFFSET + 1 -> byteOf(status, off - STS_OFFSET);
            case EN_OFFSET, EN_OFFSET + 1 -> byteOf(enable, off - EN_OFFSET);
            case CNT_OFFSET, CNT_OFFSET + 1 -> byteOf(control16 | SCI_EN, off - CNT_OFFSET);
            default -> 0;
        };
    }

    /** Applies one byte; returns true when it set SLP_EN (a sleep request). */
    private boolean writeByte(int off, int b) {
        switch (off) {
            case STS_OFFSET, STS_OFFSET + 1 -> status &= ~(b << (8 * (off - STS_OFFSET)));
            case EN_OFFSET, EN_OFFSET + 1 -> enable = withByte(enable, off - EN_OFFSET, b);
            case CNT_OFFSET, CNT_OFFSET + 1 -> {
                int v = withByte(control16, off - CNT_OFFSET, b);
                // SLP_EN is write-only and reads as zero (Table 4.13); SCI_EN is read-only 1 here.
                control16 = (v & ~SLP_EN) | SCI_EN;
                return (v & SLP_EN) != 0;
            }
            default -> {
            }
        }
        return false;
    }

    private static int byteOf(int reg, int index) {
        return (reg >>> (8 * index)) & 0xff;
    }

    private static int withByte(int reg, int index, int b) {
        int shift = 8 * index;
        return (reg & ~(0xff << shift)) | (b << shift);
    }
}
