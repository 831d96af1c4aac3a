package io.vireo.dataplane.pci;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.vireo.dataplane.pci.MsixLayout.CONTROL_ENABLE;
import static io.vireo.dataplane.pci.MsixLayout.CONTROL_FUNCTION_MASK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MsixTest {
    private static final int VECTORS = 70;
    private static final long TABLE_OFFSET = 0x2000;
    private static final long PBA_OFFSET = 0x3000;

    private PciConfigSpace config;
    private RecordingMsixListener listener;
    private MsixCapability msix;
    private MsixTable table;

    @BeforeEach
    void setUp() {
        config = new PciConfigSpace(0x1af4, 0x1041, 0x020000);
        config.defineBar(0, PciBar.memory64(0x4000, false));
        listener = new RecordingMsixListener();
        msix = new MsixCapability(config, VECTORS, 0, TABLE_OFFSET, 0, PBA_OFFSET, listener);
        table = msix.table();
    }

    private int control() {
        return config.read(msix.capabilityOffset() + 2, 2);
    }

    private void writeControl(int value) {
        config.write(msix.capabilityOffset() + 2, 2, value);
    }

    private void program(int vector, long address, int data) {
        table.writeTable(vector * 16L, 8, address);
        table.writeTable(vector * 16L + 8, 4, data);
    }

    @Test
    void shouldDescribeTableAndPbaInCapability() {
        int cap = msix.capabilityOffset();
        assertEquals(cap, config.read(PciHeaderLayout.CAPABILITIES_POINTER_OFFSET, 1));
        assertEquals(MsixLayout.CAP_ID, config.read(cap, 1));
        assertEquals(VECTORS - 1, control());
        assertEquals((int) TABLE_OFFSET, config.read(cap + 4, 4));
        assertEquals((int) PBA_OFFSET, config.read(cap + 8, 4));
    }

    @Test
    void shouldLetGuestWriteOnlyEnableAndFunctionMask() {
        writeControl(0xffff);
        assertEquals(CONTROL_ENABLE | CONTROL_FUNCTION_MASK | (VECTORS - 1), control());
        assertTrue(table.isEnabled());
        assertTrue(table.isFunctionMasked());
        config.write(msix.capabilityOffset() + 4, 4, 0x1234);
        assertEquals((int) TABLE_OFFSET, config.read(msix.capabilityOffset() + 4, 4));
        writeControl(0);
        assertFalse(table.isEnabled());
        assertEquals(List.of("function enabled masked", "function disabled unmasked"), listener.drain());
    }

    @Test
    void shouldStartMaskedAndStoreEntries() {
        assertTrue(table.isMasked(3));
        assertEquals(1, table.readTable(3 * 16 + 12, 4));

        program(3, 0xfee0_100fL, 0x4041);

        assertEquals(0xfee0_100cL, table.address(3), "address bits 1:0 are zero");
        assertEquals(0xfee0_100cL, table.readTable(48, 8));
        assertEquals(0xfee0_100cL, table.readTable(48, 4));
        assertEquals(0x4041, table.readTable(56, 4));
        assertEquals(0x1_0000_4041L, table.readTable(56, 8), "data and vector control as one qword");
        table.writeTable(60, 4, 0xffff_fffeL);
        assertEquals(0, table.readTable(60, 4), "reserved vector control bits ignored");
        assertFalse(table.isMasked(3));
        assertEquals(List.of("vector 3 0xfee0100c 0x0 masked", "vector 3 0xfee0100c 0x4041 masked",
            "vector 3 0xfee0100c 0x4041 unmasked"), listener.drain());
    }

    @Test
    void shouldDeliverPendingWhenVectorUnmaskedAndClearPendingBit() {
        writeControl(CONTROL_ENABLE);
        program(65, 0xfee0_0000L, 0x30);
        listener.drain();

        table.setPending(65);

        assertTrue(table.isPending(65));
        assertEquals(2, table.readPba(8, 8), "vector 65 is bit 1 of the second qword");
        assertEquals(2, table.readPba(8, 4));
        assertEquals(0, table.readPba(12, 4));
        assertEquals(List.of(), listener.drain());

        table.writeTable(65 * 16 + 12, 4, 0);

        assertFalse(table.isPending(65));
        assertEquals(0, table.readPba(8, 8));
        assertEquals(List.of("vector 65 0xfee00000 0x30 unmasked", "deliver 65"), listener.drain());
    }

    @Test
    void shouldHoldPendingUnderFunctionMaskAndWhileDisabled() {
        table.writeTable(12, 4, 0);
        table.writeTable(16 + 12, 4, 0);
        table.setPending(0);
        writeControl(CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
        table.setPending(1);
        table.setPending(2);
        assertTrue(table.isMasked(0));
        listener.drain();

        writeControl(CONTROL_ENABLE);

        assertEquals(List.of("function enabled unmasked", "deliver 0", "deliver 1"), listener.drain(),
            "vector 2 still has its own mask");
        assertTrue(table.isPending(2));
        assertTrue(table.canDeliver(0));
    }

    @Test
    void shouldDeliverImmediatelyWhenRaisedPendingOnDeliverableVector() {
        writeControl(CONTROL_ENABLE);
        table.writeTable(12, 4, 0);
        listener.drain();

        table.setPending(0);

        assertFalse(table.isPending(0));
        assertEquals(List.of("deliver 0"), listener.drain());
    }

    @Test
    void shouldIgnoreMisalignedAndOddSizedAccesses() {
        program(0, 0xfee0_0000L, 7);
        listener.drain();

        table.writeTable(2, 4, 0x1234_5678);
        table.writeTable(4, 8, -1L);
        table.writeTable(0, 2, 0x5555);
        table.writeTable(8, 1, 0xff);
        table.writeTable(VECTORS * 16L, 4, 1);
        table.writeTable(-4, 4, 1);

        assertEquals(0, table.readTable(2, 4));
        assertEquals(0, table.readTable(4, 8));
        assertEquals(0, table.readTable(0, 2));
        assertEquals(0, table.readTable(VECTORS * 16L, 4));
        assertEquals(0, table.readTable(Long.MAX_VALUE - 3, 4));
        assertEquals(0xfee0_0000L, table.address(0));
        assertEquals(7, table.data(0));
        assertEquals(List.of(), listener.drain());
        assertEquals(0, table.readPba(3, 4));
        assertEquals(0, table.readPba(16, 8), "70 vectors: two qwords of PBA");
    }

    @Test
    void shouldRouteBarAccessesToTableAndPba() {
        assertTrue(msix.inTable(0, TABLE_OFFSET));
        assertTrue(msix.inTable(0, TABLE_OFFSET + VECTORS * 16L - 1));
        assertFalse(msix.inTable(0, TABLE_OFFSET + VECTORS * 16L));
        assertFalse(msix.inTable(1, TABLE_OFFSET));
        assertTrue(msix.inPba(0, PBA_OFFSET + 15));
        assertFalse(msix.inPba(0, PBA_OFFSET + 16));

        assertTrue(msix.writeBar(0, TABLE_OFFSET + 16 + 8, 4, 0x99));
        assertEquals(0x99, msix.readBar(0, TABLE_OFFSET + 16 + 8, 4, -1));
        assertTrue(msix.writeBar(0, PBA_OFFSET, 8, -1L), "PBA writes are swallowed");
        assertEquals(0, msix.readBar(0, PBA_OFFSET, 8, -1));
        assertEquals(-1, msix.readBar(0, 0x100, 4, -1));
        assertFalse(msix.writeBar(0, 0x100, 4, 1));
    }

    @Test
    void shouldRejectTableOutsideBarOrOverlappingPba() {
        PciConfigSpace c = new PciConfigSpace(0x1af4, 0x1041, 0x020000);
        c.defineBar(0, PciBar.memory32(0x1000, false));
        MsixVectorListener l = new RecordingMsixListener();
        assertThrows(IllegalArgumentException.class, () -> new MsixCapability(c, 256, 0, 0x800, 0, 0, l));
        assertThrows(IllegalArgumentException.class, () -> new MsixCapability(c, 8, 0, 0, 0, 0x40, l));
        assertThrows(IllegalArgumentException.class, () -> new MsixCapability(c, 8, 1, 0, 0, 0x800, l));
        assertThrows(IllegalArgumentException.class, () -> new MsixCapability(c, 8, 0, 4, 0, 0x800, l));
        assertThrows(IllegalArgumentException.class, () -> new MsixTable(0, l));
        assertThrows(IllegalArgumentException.class, () -> new MsixTable(2049, l));
    }

    @Test
    void shouldResetToMaskedAndDisabled() {
        writeControl(CONTROL_ENABLE);
        program(1, 0xfee0_0000L, 1);
        table.writeTable(16 + 12, 4, 0);
        table.reset();
        assertTrue(table.isMasked(1));
        assertFalse(table.isEnabled());
        assertEquals(0, table.address(1));
    }

    @Test
    void shouldNeverThrowOnHostileTableAccesses() {
        Random r = new Random(7);
        long[] offsets = {-1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - 7, VECTORS * 16L - 4, 1L << 40};
        int[] sizes = {-1, 0, 1, 2, 3, 4, 8, 16, Integer.MIN_VALUE};
        for (long off : offsets) {
            for (int size : sizes) {
                table.readTable(off, size);
                table.writeTable(off, size, -1L);
                table.readPba(off, size);
                msix.readBar(0, off, size, 0);
                msix.writeBar(0, off, size, -1L);
            }
        }
        for (int i = 0; i < 100_000; i++) {
            long off = r.nextInt(VECTORS * 16 + 64) - 32;
            int size = 1 << r.nextInt(4);
            table.writeTable(off, size, r.nextLong());
            table.readTable(off, size);
            table.readPba(off, size);
        }
        assertEquals(0, table.readTable(12, 4) & ~1L, "reserved vector control bits stay 0");
    }
}
