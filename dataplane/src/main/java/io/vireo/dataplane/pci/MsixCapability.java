package io.vireo.dataplane.pci;

import static io.vireo.dataplane.pci.MsixLayout.CONTROL_ENABLE;
import static io.vireo.dataplane.pci.MsixLayout.CONTROL_FUNCTION_MASK;
import static io.vireo.dataplane.pci.MsixLayout.MESSAGE_CONTROL_OFFSET;

/**
 * The MSI-X capability (PCI 3.0 6.8.2, layout in {@link MsixLayout}) of a function: adds the structure to the
 * config space, makes only Function Mask and MSI-X Enable guest-writable, and forwards their changes to the
 * {@link MsixTable}. The table and PBA live in BARs the function has already defined; {@link #inTable} and
 * {@link #inPba} tell the function's BAR handler where to route an access.
 */
public final class MsixCapability {
    private final PciConfigSpace config;
    private final MsixTable table;
    private final int capOffset;
    private final int tableBar;
    private final long tableOffset;
    private final int pbaBar;
    private final long pbaOffset;

    /**
     * @param tableOffset byte offset of the table in BAR {@code tableBar}, qword aligned
     * @param pbaOffset   byte offset of the PBA in BAR {@code pbaBar}, qword aligned, not overlapping the table
     */
    public MsixCapability(PciConfigSpace config, int vectors, int tableBar, long tableOffset, int pbaBar,
        long pbaOffset, MsixVectorListener listener) {
        this.config = config;
        this.table = new MsixTable(vectors, listener);
        this.tableBar = tableBar;
        this.tableOffset = tableOffset;
        this.pbaBar = pbaBar;
        this.pbaOffset = pbaOffset;
        long tableEnd = tableOffset + MsixLayout.tableSizeBytes(vectors);
        long pbaEnd = pbaOffset + MsixLayout.pbaSizeBytes(vectors);
        checkPlacement("table", tableBar, tableOffset, tableEnd);
        checkPlacement("PBA", pbaBar, pbaOffset, pbaEnd);
        if (tableBar == pbaBar && tableOffset < pbaEnd && pbaOffset < tableEnd) {
            throw new IllegalArgumentException("MSI-X table 0x" + Long.toHexString(tableOffset) + "-0x"
                + Long.toHexString(tableEnd) + " overlaps PBA 0x" + Long.toHexString(pbaOffset) + "-0x"
                + Long.toHexString(pbaEnd) + " in BAR " + tableBar);
        }
        byte[] body = new byte[MsixLayout.CAP_SIZE - 2];
        putLe(body, 0, 2, vectors - 1);
        putLe(body, 2, 4, (int) tableOffset | tableBar);
        putLe(body, 6, 4, (int) pbaOffset | pbaBar);
        capOffset = config.addCapability(MsixLayout.CAP_ID, body);
        config.setWriteMask(capOffset + MESSAGE_CONTROL_OFFSET, 2, CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
        config.watchWrites(capOffset + MESSAGE_CONTROL_OFFSET, 2, (offset, size) -> controlWritten());
    }

    public MsixTable table() {
        return table;
    }

    /** Config offset of the capability. */
    public int capabilityOffset() {
        return capOffset;
    }

    public int tableBar() {
        return tableBar;
    }

    public long tableOffset() {
        return tableOffset;
    }

    public int pbaBar() {
        return pbaBar;
    }

    public long pbaOffset() {
        return pbaOffset;
    }

    /** True if byte {@code offset} of BAR {@code bar} is in the table. */
    public boolean inTable(int bar, long offset) {
        return bar == tableBar && offset >= tableOffset
            && offset - tableOffset < MsixLayout.tableSizeBytes(table.vectors());
    }

    /** True if byte {@code offset} of BAR {@code bar} is in the PBA. */
    public boolean inPba(int bar, long offset) {
        return bar == pbaBar && offset >= pbaOffset && offset - pbaOffset < MsixLayout.pbaSizeBytes(table.vectors());
    }

    /**
     * Routes a BAR read to the table or PBA; {@code fallback} for bytes outside both. Convenience for a
     * function's {@link PciFunction#readBar}.
     */
    public long readBar(int bar, long offset, int size, long fallback) {
        if (inTable(bar, offset)) {
            return table.readTable(offset - tableOffset, size);
        }
        if (inPba(bar, offset)) {
            return table.readPba(offset - pbaOffset, size);
        }
        return fallback;
    }

    /** Routes a BAR write to the table (PBA writes are dropped); false if it hit neither. */
    public boolean writeBar(int bar, long offset, int size, long value) {
        if (inTable(bar, offset)) {
            table.writeTable(offset - tableOffset, size, value);
            return true;
        }
        return inPba(bar, offset);
    }

    private void controlWritten() {
        int control = config.read(capOffset + MESSAGE_CONTROL_OFFSET, 2);
        table.setControl((control & CONTROL_ENABLE) != 0, (control & CONTROL_FUNCTION_MASK) != 0);
    }

    private void checkPlacement(String what, int bir, long offset, long end) {
        PciBar bar = config.bar(bir);
        if (bar == null || offset < 0 || (offset & MsixLayout.BIR_MASK) != 0 || end > bar.sizeBytes()
            || offset > 0xffff_fff8L) {
            throw new IllegalArgumentException("MSI-X " + what + " at BAR " + bir + " offset 0x"
                + Long.toHexString(offset) + "-0x" + Long.toHexString(end) + " must be qword aligned inside a"
                + " defined BAR (" + (bar == null ? "none" : "size 0x" + Long.toHexString(bar.sizeBytes())) + ")");
        }
    }

    private static void putLe(byte[] b, int at, int size, int v) {
        for (int i = 0; i < size; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
