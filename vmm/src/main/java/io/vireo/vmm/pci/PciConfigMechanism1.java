package io.vireo.vmm.pci;

import io.vireo.vmm.devices.PioDevice;

/**
 * Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at
 * 0xCFC-0xCFF.
 *
 * <pre>
 * CONFIG_ADDRESS (dword)
 * +-----+----------+--------+--------+----------+----------+-----+
 * | 31  | 30:24    | 23:16  | 15:11  | 10:8     | 7:2      | 1:0 |
 * | En  | reserved | bus    | device | function | register | 00  |
 * +-----+----------+--------+--------+----------+----------+-----+
 * </pre>
 * Register with the port bus as two ranges: {@code (CONFIG_ADDRESS_PORT, 1)} and
 * {@code (CONFIG_DATA_PORT, 4)}. Port 0xCF9 is the reset control register
 * ({@link io.vireo.vmm.devices.ResetControl}); the port bus routes an access by its first port, so a dword
 * at 0xCF8 still arrives here. As on real chipsets only a dword access to 0xCF8 is CONFIG_ADDRESS; other
 * sizes there read all ones and write nothing.
 *
 * <p>A CONFIG_DATA access of 1, 2 or 4 bytes at port 0xCFC + k reaches register {@code (address & 0xfc) + k}.
 * With the enable bit clear, or an access running past 0xCFF, reads are all ones and writes are dropped.
 *
 * <p>The latch is shared by all vCPUs, as in hardware; guests serialise the two-step access themselves
 * (Linux's pci_config_lock).
 */
public final class PciConfigMechanism1 implements PioDevice {
    public static final int CONFIG_ADDRESS_PORT = 0xcf8;
    public static final int CONFIG_ADDRESS_LENGTH = 1;
    public static final int CONFIG_DATA_PORT = 0xcfc;
    public static final int CONFIG_DATA_LENGTH = 4;

    public static final int ENABLE = 1 << 31;
    /** The bits of CONFIG_ADDRESS that hold anything: enable, bus, device, function, register. */
    public static final int ADDRESS_MASK = ENABLE | 0x00ff_fffc;

    private final PciBus bus;
    private volatile int address;

    public PciConfigMechanism1(PciBus bus) {
        this.bus = bus;
    }

    /** The value that selects register {@code offset} of {@code bus:device.function} (for tests and guests). */
    public static int configAddress(int busNumber, int device, int function, int offset) {
        return ENABLE | busNumber << 16 | device << 11 | function << 8 | (offset & 0xfc);
    }

    @Override
    public int read(int port, int size) {
        if (port == CONFIG_ADDRESS_PORT) {
            return size == 4 ? address : -1;
        }
        int k = port - CONFIG_DATA_PORT;
        int a = address;
        if (k < 0 || k + size > CONFIG_DATA_LENGTH || (a & ENABLE) == 0) {
            return -1;
        }
        return bus.readConfig(a >>> 16 & 0xff, a >>> 11 & 0x1f, a >>> 8 & 0x7, (a & 0xfc) + k, size);
    }

    @Override
    public void write(int port, int size, int value) {
        if (port == CONFIG_ADDRESS_PORT) {
            if (size == 4) {
                address = value & ADDRESS_MASK;
            }
            return;
        }
        int k = port - CONFIG_DATA_PORT;
        int a = address;
        if (k < 0 || k + size > CONFIG_DATA_LENGTH || (a & ENABLE) == 0) {
            return;
        }
        bus.writeConfig(a >>> 16 & 0xff, a >>> 11 & 0x1f, a >>> 8 & 0x7, (a & 0xfc) + k, size, value);
    }
}
