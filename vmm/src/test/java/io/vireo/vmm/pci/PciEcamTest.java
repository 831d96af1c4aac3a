package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciHeaderLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vmm.pci.PciEcam.offsetOf;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PciEcamTest {
    private PciBus bus;
    private TestFunction dev;
    private MmioBus mmio;

    @BeforeEach
    void setUp() {
        bus = new PciBus();
        dev = new TestFunction(0x1042, PciBar.memory64(0x4000, false));
        bus.addFunction(new PciAddress(0, 3, 0), dev);
        mmio = new MmioBus();
        mmio.register(PciEcam.BASE_GPA, PciEcam.SIZE_BYTES, new PciEcam(bus));
    }

    @Test
    void shouldDecodeBusDeviceFunctionRegister() {
        assertEquals(0xe001_8000L, PciEcam.BASE_GPA + offsetOf(0, 3, 0, 0));
        assertEquals(0x1042_1af4L, mmio.read(PciEcam.BASE_GPA + offsetOf(0, 3, 0, 0), 4));
        assertEquals(0x29c0_8086L, mmio.read(PciEcam.BASE_GPA, 4));
        assertEquals(0x1042, mmio.read(PciEcam.BASE_GPA + offsetOf(0, 3, 0, 2), 2));
        assertEquals(0x1a, mmio.read(PciEcam.BASE_GPA + offsetOf(0, 3, 0, 1), 1));
        assertEquals(0xffff_ffffL, mmio.read(PciEcam.BASE_GPA + offsetOf(0, 3, 1, 0), 4));
        assertEquals(0xffff_ffffL, mmio.read(PciEcam.BASE_GPA + offsetOf(0, 31, 7, 0), 4));
    }

    @Test
    void shouldWriteConfigRegisters() {
        long base = PciEcam.BASE_GPA + offsetOf(0, 3, 0, 0);
        mmio.write(base + PciHeaderLayout.COMMAND_OFFSET, 2, 0x2);
        mmio.write(base + 0x10, 4, 0xffff_ffffL);
        mmio.write(base + 0x14, 4, 0xffff_ffffL);

        assertEquals(0xffff_c004L, mmio.read(base + 0x10, 4));
        assertEquals(0xffff_ffffL, mmio.read(base + 0x14, 4));
        assertEquals(true, dev.config().memoryEnabled());
    }

    @Test
    void shouldReadZeroInExtendedSpaceOfConventionalFunction() {
        assertEquals(0, mmio.read(PciEcam.BASE_GPA + offsetOf(0, 3, 0, 0x100), 4));
        assertEquals(0, mmio.read(PciEcam.BASE_GPA + offsetOf(0, 3, 0, 0xffc), 4));
        assertEquals(0, mmio.read(PciEcam.BASE_GPA + offsetOf(0, 0, 0, 0x100), 4), "host bridge: no ext caps");
    }

    @Test
    void shouldRefuseAccessesCrossingDwordOrOddSizes() {
        long base = PciEcam.BASE_GPA + offsetOf(0, 3, 0, 0);
        assertEquals(0xffff_ffffL, mmio.read(base + 2, 4));
        assertEquals(0xffff, mmio.read(base + 3, 2));
        assertEquals(-1L, mmio.read(base, 8));
        mmio.write(base + 0x3b, 2, 0xffff);
        mmio.write(base + 0x3c, 8, -1L);
        assertEquals(0, dev.config().read(0x3c, 1));
        PciEcam ecam = new PciEcam(bus);
        assertEquals(0xffff_ffffL, ecam.read(PciEcam.SIZE_BYTES, 4), "past the window");
        assertEquals(0xffff_ffffL, ecam.read(-4, 4));
        assertEquals(0xffL, ecam.read(-1, 1));
    }

    @Test
    void shouldReserveWindowInE820() {
        assertEquals(PciEcam.BASE_GPA, PciEcam.e820Entry().addr());
        assertEquals(1L << 20, PciEcam.e820Entry().size());
    }
}
