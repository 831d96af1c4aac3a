package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import io.vireo.vmm.devices.PlatformControl;
import io.vireo.vmm.devices.PortIoBus;
import io.vireo.vmm.devices.ResetControl;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vireo.vmm.pci.PciConfigMechanism1.configAddress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PciConfigMechanism1Test {
    private PciBus bus;
    private PortIoBus pio;
    private TestFunction dev;
    private final List<String> resets = new ArrayList<>();

    @BeforeEach
    void setUp() {
        bus = new PciBus();
        dev = new TestFunction(0x1042, PciBar.memory32(0x1000, false));
        bus.addFunction(dev);
        pio = new PortIoBus();
        PciConfigMechanism1 cfg = new PciConfigMechanism1(bus);
        pio.register(PciConfigMechanism1.CONFIG_ADDRESS_PORT, PciConfigMechanism1.CONFIG_ADDRESS_LENGTH, cfg);
        pio.register(PciConfigMechanism1.CONFIG_DATA_PORT, PciConfigMechanism1.CONFIG_DATA_LENGTH, cfg);
        pio.register(ResetControl.PORT, ResetControl.LENGTH, new ResetControl(new PlatformControl() {
            @Override
            public void reset(String source) {
                resets.add(source);
            }

            @Override
            public void powerOff() {
            }

            @Override
            public void debugExit(int status) {
            }
        }));
    }

    private void select(int device, int function, int offset) {
        pio.write(0xcf8, 4, configAddress(0, device, function, offset));
    }

    @Test
    void shouldLatchAddressAndReadItBack() {
        select(1, 0, 0x10);
        assertEquals(0x8000_0810, pio.read(0xcf8, 4));
        pio.write(0xcf8, 4, 0xffff_ffff);
        assertEquals(0x80ff_fffc, pio.read(0xcf8, 4), "reserved bits 30:24 and 1:0 read 0");
    }

    @Test
    void shouldReadIdsWithEveryWidthAndOffset() {
        select(0, 0, 0);
        assertEquals(0x29c0_8086, pio.read(0xcfc, 4));
        assertEquals(0x8086, pio.read(0xcfc, 2));
        assertEquals(0x29c0, pio.read(0xcfe, 2));
        assertEquals(0x86, pio.read(0xcfc, 1));
        assertEquals(0x80, pio.read(0xcfd, 1));
        assertEquals(0xc0, pio.read(0xcfe, 1));
        assertEquals(0x29, pio.read(0xcff, 1));
        select(1, 0, 0);
        assertEquals(0x1042_1af4, pio.read(0xcfc, 4));
    }

    @Test
    void shouldWriteThroughDataPortAtByteOffsets() {
        select(1, 0, 0x04);
        pio.write(0xcfc, 2, 0x0006);
        assertTrue(dev.config().memoryEnabled());
        assertTrue(dev.config().busMasterEnabled());
        select(1, 0, 0x3c);
        pio.write(0xcfc, 1, 0x0b);
        assertEquals(0x0b, dev.config().read(0x3c, 1));
        select(1, 0, 0x10);
        pio.write(0xcfc, 4, 0xffff_ffff);
        assertEquals(0xffff_f000, pio.read(0xcfc, 4), "BAR sizing through mechanism #1");
        pio.write(0xcfe, 2, 0xc000);
        assertEquals(0xc000_f000L, dev.config().barAddress(0), "a word write leaves the other half");
        pio.write(0xcfd, 1, 0x00);
        assertEquals(0xc000_0000L, dev.config().barAddress(0));
    }

    @Test
    void shouldReadAllOnesAndDropWritesWhenDisabled() {
        pio.write(0xcf8, 4, 0x0000_0800);
        assertEquals(0xffff_ffff, pio.read(0xcfc, 4));
        assertEquals(0xffff, pio.read(0xcfe, 2));
        pio.write(0xcfc, 2, 0x0006);
        assertEquals(0, dev.config().command());
    }

    @Test
    void shouldReadAllOnesForAbsentDevicesAndOtherBuses() {
        select(2, 0, 0);
        assertEquals(0xffff_ffff, pio.read(0xcfc, 4));
        pio.write(0xcf8, 4, configAddress(1, 0, 0, 0));
        assertEquals(0xffff_ffff, pio.read(0xcfc, 4));
    }

    @Test
    void shouldLatchOnlyDwordsAndLeaveCf9ToResetControl() {
        select(1, 0, 0);
        pio.write(0xcf8, 1, 0x00);
        pio.write(0xcf8, 2, 0x00);
        assertEquals(0x8000_0800, pio.read(0xcf8, 4));
        assertEquals(0xff, pio.read(0xcf8, 1));
        assertEquals(0xffff, pio.read(0xcf8, 2));
        pio.write(0xcf9, 1, 0x06);
        assertEquals(List.of("0xcf9"), resets);
        assertEquals(0x8000_0800, pio.read(0xcf8, 4));
    }

    @Test
    void shouldRefuseAccessesRunningPastCff() {
        select(0, 0, 0);
        assertEquals(0xffff_ffff, pio.read(0xcfd, 4));
        assertEquals(0xffff, pio.read(0xcff, 2));
        select(1, 0, 0x3c);
        pio.write(0xcfe, 4, 0x1234_5678);
        assertEquals(0, dev.config().read(0x3c, 4) & 0xff);
    }
}
