package io.vireo.vmm.acpi;

import io.vireo.vmm.devices.AcpiGpe;
import io.vireo.vmm.devices.AcpiPm;
import io.vireo.vmm.devices.ResetControl;

import java.nio.charset.StandardCharsets;

/**
 * Fixed ACPI Description Table, revision 6 (ACPI 6.5, 5.2.9), 276 bytes: a full (not hardware-reduced)
 * ACPI PC whose fixed hardware is {@link AcpiPm} and whose reset register is {@link ResetControl}.
 *
 * <pre>
 * off  field                 value            off  field                   value
 *  36  FIRMWARE_CTRL u32     FACS             109  IAPC_BOOT_ARCH u16      legacy devices, VGA and
 *  40  DSDT u32              DSDT                                          CMOS RTC not present, no 8042
 *  46  SCI_INT u16           9                112  Flags u32               see FLAGS
 *  48  SMI_CMD u32           0: ACPI always on 116  RESET_REG (GAS)        I/O 0xCF9, 8 bits
 *  56  PM1a_EVT_BLK u32      0x600            128  RESET_VALUE u8          0x06
 *  64  PM1a_CNT_BLK u32      0x604            131  FADT Minor Version      3 (ACPI 6.3)
 *  80  GPE0_BLK u32          0xAFE0           220  X_GPE0_BLK (GAS)        I/O 0xAFE0, 32 bits
 *  92  GPE0_BLK_LEN u8       4: 16 events (AcpiGpe: PCI hotplug is event 1)
 *  76  PM_TMR_BLK u32        0: no PM timer   132  X_FIRMWARE_CTRL u64     0 (FACS is <4G)
 *  88  PM1_EVT_LEN u8        4                140  X_DSDT u64              DSDT
 *  89  PM1_CNT_LEN u8        2                148  X_PM1a_EVT_BLK (GAS)    I/O 0x600, 32 bits
 *  96  P_LVL2_LAT u16        0xFFF: no C2     172  X_PM1a_CNT_BLK (GAS)    I/O 0x604, 16 bits
 *  98  P_LVL3_LAT u16        0xFFF: no C3     268  Hypervisor Vendor Id    "VIREOVMM"
 * </pre>
 *
 * <p>Both the 32-bit and the 64-bit DSDT and FACS addresses are set, to the same values (the tables live
 * below 1 MiB), which ACPICA accepts without complaint and older OSes need. The IA-PC boot flags say there
 * is no 8042: Vireo's {@code I8042} only exists for the reset command, and without the flag Linux's i8042
 * driver would probe for a keyboard that is not there (seconds of timeouts). No CMOS RTC either: Vireo has
 * none, and the flag stops Linux registering the rtc_cmos device.
 */
public final class Fadt {
    public static final int FIRMWARE_CTRL_OFFSET = 36;
    public static final int DSDT_OFFSET = 40;
    public static final int PREFERRED_PM_PROFILE_OFFSET = 45;
    public static final int SCI_INT_OFFSET = 46;
    public static final int SMI_CMD_OFFSET = 48;
    public static final int PM1A_EVT_BLK_OFFSET = 56;
    public static final int PM1A_CNT_BLK_OFFSET = 64;
    public static final int PM_TMR_BLK_OFFSET = 76;
    public static final int PM1_EVT_LEN_OFFSET = 88;
    public static final int PM1_CNT_LEN_OFFSET = 89;
    public static final int P_LVL2_LAT_OFFSET = 96;
    public static final int P_LVL3_LAT_OFFSET = 98;
    public static final int IAPC_BOOT_ARCH_OFFSET = 109;
    public static final int FLAGS_OFFSET = 112;
    public static final int RESET_REG_OFFSET = 116;
    public static final int RESET_VALUE_OFFSET = 128;
    public static final int ARM_BOOT_ARCH_OFFSET = 129;
    public static final int MINOR_VERSION_OFFSET = 131;
    public static final int X_FIRMWARE_CTRL_OFFSET = 132;
    public static final int X_DSDT_OFFSET = 140;
    public static final int X_PM1A_EVT_BLK_OFFSET = 148;
    public static final int X_PM1A_CNT_BLK_OFFSET = 172;
    public static final int HYPERVISOR_VENDOR_ID_OFFSET = 268;
    public static final int SIZE = 276;
    public static final int REVISION = 6;
    public static final int MINOR_VERSION = 3;

    /** IA-PC Boot Architecture Flags (ACPI 6.5, 5.2.9.3). */
    public static final int IAPC_LEGACY_DEVICES = 1 << 0;
    public static final int IAPC_8042 = 1 << 1;
    public static final int IAPC_VGA_NOT_PRESENT = 1 << 2;
    public static final int IAPC_MSI_NOT_SUPPORTED = 1 << 3;
    public static final int IAPC_CMOS_RTC_NOT_PRESENT = 1 << 5;
    /** A COM port is a legacy (ISA/LPC) device; no 8042 (see the class comment); no VGA; no RTC. */
    public static final int IAPC_BOOT_ARCH = IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT | IAPC_CMOS_RTC_NOT_PRESENT;

    /** Fixed Feature Flags (ACPI 6.5, 5.2.9, Table "Fixed ACPI Description Table Fixed Feature Flags"). */
    public static final int FLAG_WBINVD = 1 << 0;
    public static final int FLAG_PROC_C1 = 1 << 2;
    /** Set means the button is not a fixed feature: there is no power button. */
    public static final int FLAG_PWR_BUTTON = 1 << 4;
    public static final int FLAG_SLP_BUTTON = 1 << 5;
    /** Set means RTC wake status is not in the fixed registers: there is no RTC. */
    public static final int FLAG_FIX_RTC = 1 << 6;
    public static final int FLAG_RESET_REG_SUP = 1 << 10;
    public static final int FLAG_HW_REDUCED_ACPI = 1 << 20;
    public static final int FLAGS = FLAG_WBINVD | FLAG_PROC_C1 | FLAG_PWR_BUTTON | FLAG_SLP_BUTTON | FLAG_FIX_RTC
        | FLAG_RESET_REG_SUP;

    /** A latency above 100 (C2) or 1000 (C3) microseconds says the state is not supported. */
    public static final int C_STATE_NOT_SUPPORTED = 0xfff;
    public static final String HYPERVISOR_VENDOR_ID = "VIREOVMM";

    private Fadt() {
    }

    public static byte[] build(long facsGpa, long dsdtGpa) {
        if (facsGpa >>> 32 != 0 || dsdtGpa >>> 32 != 0) {
            throw new IllegalArgumentException("FACS 0x" + Long.toHexString(facsGpa) + " and DSDT 0x"
                + Long.toHexString(dsdtGpa) + " must be below 4 GiB for the 32-bit FADT fields");
        }
        AcpiTable t = new AcpiTable("FACP", REVISION);
        t.u32((int) facsGpa);                 // 36 FIRMWARE_CTRL
        t.u32((int) dsdtGpa);                 // 40 DSDT
        t.u8(0);                              // 44 reserved (ACPI 1.0 INT_MODEL)
        t.u8(0);                              // 45 Preferred_PM_Profile: unspecified
        t.u16(AcpiPm.SCI_IRQ);                // 46 SCI_INT
        t.u32(0);                             // 48 SMI_CMD: none, the OS finds SCI_EN already set
        t.u8(0).u8(0).u8(0).u8(0);            // 52 ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
        t.u32(AcpiPm.PM1A_EVT_PORT);          // 56 PM1a_EVT_BLK
        t.u32(0);                             // 60 PM1b_EVT_BLK
        t.u32(AcpiPm.PM1A_CNT_PORT);          // 64 PM1a_CNT_BLK
        t.u32(0);                             // 68 PM1b_CNT_BLK
        t.u32(0);                             // 72 PM2_CNT_BLK
        t.u32(0);                             // 76 PM_TMR_BLK
        t.u32(AcpiGpe.BASE).u32(0);           // 80 GPE0_BLK, GPE1_BLK
        t.u8(AcpiPm.PM1_EVT_LENGTH);          // 88 PM1_EVT_LEN
        t.u8(AcpiPm.PM1_CNT_LENGTH);          // 89 PM1_CNT_LEN
        t.u8(0).u8(0);                        // 90 PM2_CNT_LEN, PM_TMR_LEN
        t.u8(AcpiGpe.LENGTH).u8(0).u8(0);     // 92 GPE0_BLK_LEN, GPE1_BLK_LEN, GPE1_BASE
        t.u8(0);                              // 95 CST_CNT
        t.u16(C_STATE_NOT_SUPPORTED);         // 96 P_LVL2_LAT
        t.u16(C_STATE_NOT_SUPPORTED);         // 98 P_LVL3_LAT
        t.u16(0).u16(0);                      // 100 FLUSH_SIZE, FLUSH_STRIDE
        t.u8(0).u8(0);                        // 104 DUTY_OFFSET, DUTY_WIDTH
        t.u8(0).u8(0).u8(0);                  // 106 DAY_ALRM, MON_ALRM, CENTURY
        t.u16(IAPC_BOOT_ARCH);                // 109 IAPC_BOOT_ARCH
        t.u8(0);                              // 111 reserved
        t.u32(FLAGS);                         // 112 Flags
        Gas.io(ResetControl.PORT, 1, Gas.ACCESS_BYTE).appendTo(t); // 116 RESET_REG
        t.u8(ResetControl.RESET_VALUE);       // 128 RESET_VALUE
        t.u16(0);                             // 129 ARM_BOOT_ARCH
        t.u8(MINOR_VERSION);                  // 131 FADT Minor Version
        // ACPI 6.5 5.2.9: FIRMWARE_CTRL and X_FIRMWARE_CTRL must not both be set (Linux maps the FACS
        // twice otherwise); the FACS is below 4 GiB, so the 32-bit field carries it.
        t.u64(0L);                            // 132 X_FIRMWARE_CTRL
        t.u64(dsdtGpa);                       // 140 X_DSDT
        Gas.io(AcpiPm.PM1A_EVT_PORT, AcpiPm.PM1_EVT_LENGTH, Gas.ACCESS_WORD).appendTo(t); // 148 X_PM1a_EVT_BLK
        Gas.NONE.appendTo(t);                 // 160 X_PM1b_EVT_BLK
        Gas.io(AcpiPm.PM1A_CNT_PORT, AcpiPm.PM1_CNT_LENGTH, Gas.ACCESS_WORD).appendTo(t); // 172 X_PM1a_CNT_BLK
        Gas.NONE.appendTo(t);                 // 184 X_PM1b_CNT_BLK
        Gas.NONE.appendTo(t);                 // 196 X_PM2_CNT_BLK
        Gas.NONE.appendTo(t);                 // 208 X_PM_TMR_BLK
        Gas.io(AcpiGpe.BASE, AcpiGpe.LENGTH, Gas.ACCESS_BYTE).appendTo(t); // 220 X_GPE0_BLK
        Gas.NONE.appendTo(t);                 // 232 X_GPE1_BLK
        Gas.NONE.appendTo(t);                 // 244 SLEEP_CONTROL_REG (hardware-reduced only)
        Gas.NONE.appendTo(t);                 // 256 SLEEP_STATUS_REG (hardware-reduced only)
        t.bytes(HYPERVISOR_VENDOR_ID.getBytes(StandardCharsets.US_ASCII)); // 268 Hypervisor Vendor Identity
        if (t.size() != SIZE) {
            throw new IllegalStateException("FADT is " + t.size() + " bytes; revision 6 is " + SIZE);
        }
        return t.toBytes();
    }
}
