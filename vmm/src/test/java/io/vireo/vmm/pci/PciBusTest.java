package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciHeaderLayout;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PciBusTest {
    @Test
    void shouldPutHostBridgeAtZero() {
        PciBus bus = new PciBus();

        assertEquals(0x29c0_8086, bus.readConfig(0, 0, 0, 0, 4));
        assertEquals(0x0600_0000, bus.readConfig(0, 0, 0, 8, 4) & 0xffff_ff00, "class 06 00 00");
        assertEquals(0, bus.readConfig(0, 0, 0, PciHeaderLayout.HEADER_TYPE_OFFSET, 1));
        assertEquals(0, bus.readConfig(0, 0, 0, PciHeaderLayout.INTERRUPT_PIN_OFFSET, 1));
        assertEquals(List.of(new PciAddress(0, 0, 0)), bus.functions().stream().map(PciBus.Attached::address)
            .toList());
    }

    @Test
    void shouldReadAbsentFunctionsAsAllOnes() {
        PciBus bus = new PciBus();

        assertEquals(0xffff_ffff, bus.readConfig(0, 1, 0, 0, 4));
        assertEquals(0xffff, bus.readConfig(0, 0, 1, 0, 2));
        assertEquals(0xff, bus.readConfig(0, 31, 7, 0x3c, 1));
        assertEquals(0xffff_ffff, bus.readConfig(1, 0, 0, 0, 4), "there is no bus 1");
        assertEquals(0xffff_ffff, bus.readConfig(0, 32, 0, 0, 4));
        bus.writeConfig(0, 5, 0, 4, 2, 7);
        bus.writeConfig(7, 0, 0, 4, 2, 7);
    }

    @Test
    void shouldGiveSixtyFourFunctionsDistinctAddressesAndSetMultiFunctionBit() {
        PciBus bus = new PciBus();
        Set<PciAddress> seen = new HashSet<>();
        for (int i = 0; i < 64; i++) {
            PciAddress a = bus.addFunction(new TestFunction(0x1042));
            assertTrue(seen.add(a), "duplicate " + a);
            assertTrue(a.device() >= 1, "slot 0 is the host bridge's");
        }

        assertEquals(new PciAddress(0, 1, 0), bus.functions().get(1).address());
        assertTrue(seen.contains(new PciAddress(0, 31, 0)));
        assertTrue(seen.contains(new PciAddress(0, 1, 1)), "the 32nd device shares slot 1");
        assertTrue(seen.contains(new PciAddress(0, 2, 2)), "64 = 31 + 31 + 2");
        assertFalse(seen.contains(new PciAddress(0, 3, 2)));
        for (int dev = 1; dev < 32; dev++) {
            int header = bus.readConfig(0, dev, 0, PciHeaderLayout.HEADER_TYPE_OFFSET, 1);
            assertEquals(0x80, header, "slot " + dev + " has functions 0-2 or 0-1");
            assertEquals(0x1042, bus.readConfig(0, dev, 1, PciHeaderLayout.DEVICE_ID_OFFSET, 2));
        }
        assertEquals(0, bus.readConfig(0, 1, 1, PciHeaderLayout.HEADER_TYPE_OFFSET, 1), "only function 0 has it");
    }

    @Test
    void shouldLeaveSingleFunctionDevicesWithoutMultiFunctionBit() {
        PciBus bus = new PciBus();
        bus.addFunction(new TestFunction(1));
        bus.addFunction(new TestFunction(2));

        assertEquals(0, bus.readConfig(0, 1, 0, PciHeaderLayout.HEADER_TYPE_OFFSET, 1));
        assertEquals(0xffff, bus.readConfig(0, 1, 1, 0, 2));
    }

    @Test
    void shouldFillAllTwoHundredFortyEightFunctionsThenRefuse() {
        PciBus bus = new PciBus();
        for (int i = 0; i < PciBus.CAPACITY; i++) {
            bus.addFunction(new TestFunction(i));
        }
        assertEquals(248, PciBus.CAPACITY);
        assertEquals(249, bus.functions().size());
        IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> bus.addFunction(new TestFunction(0)));
        assertTrue(e.getMessage().contains("248 functions"), e.getMessage());
    }

    @Test
    void shouldPlaceExplicitlyAndRejectTakenAddresses() {
        PciBus bus = new PciBus();
        bus.addFunction(new PciAddress(0, 5, 3), new TestFunction(3));
        assertEquals(0xffff, bus.readConfig(0, 5, 0, 0, 2));
        bus.addFunction(new PciAddress(0, 5, 0), new TestFunction(4));

        assertEquals(0x80, bus.readConfig(0, 5, 0, PciHeaderLayout.HEADER_TYPE_OFFSET, 1));
        assertThrows(IllegalArgumentException.class, () -> bus.addFunction(new PciAddress(0, 0, 0),
            new TestFunction(5)));
        assertThrows(IllegalArgumentException.class, () -> bus.addFunction(new PciAddress(1, 0, 0),
            new TestFunction(5)));
        assertThrows(IllegalArgumentException.class, () -> new PciAddress(0, 32, 0));
        assertEquals("00:05.3", new PciAddress(0, 5, 3).toString());
    }
}
