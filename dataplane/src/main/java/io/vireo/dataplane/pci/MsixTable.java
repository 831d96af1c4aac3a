package io.vireo.dataplane.pci;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static io.vireo.dataplane.pci.MsixLayout.ENTRY_ADDRESS_HI_OFFSET;
import static io.vireo.dataplane.pci.MsixLayout.ENTRY_ADDRESS_LO_OFFSET;
import static io.vireo.dataplane.pci.MsixLayout.ENTRY_DATA_OFFSET;
import static io.vireo.dataplane.pci.MsixLayout.ENTRY_SIZE;
import static io.vireo.dataplane.pci.MsixLayout.ENTRY_VECTOR_CONTROL_OFFSET;
import static io.vireo.dataplane.pci.MsixLayout.VECTOR_CONTROL_MASK;

/**
 * The MSI-X table and Pending Bit Array of one function (layout in {@link MsixLayout}). The VMM's BAR MMIO
 * handling calls {@link #readTable}/{@link #writeTable}/{@link #readPba} with offsets relative to the table
 * and PBA; the device model calls {@link #isMasked}, {@link #setPending} and reads messages.
 *
 * <p>Access rules (PCI 3.0 6.8.2): software uses aligned dword or aligned qword accesses; anything else has
 * an undefined result, so here it reads 0 and writes nothing. Reserved Vector Control bits read 0 and ignore
 * writes; Message Address bits 1:0 read 0. The PBA is read-only. Out-of-range offsets read 0. Nothing throws
 * on guest input.
 *
 * <p>Pending (6.8.3.3): a message raised while its vector is masked (or the function masked, or MSI-X off)
 * sets the pending bit; when the vector becomes deliverable the function clears the bit and sends the
 * message, here by {@link MsixVectorListener#deliverPending}.
 *
 * <p>Thread-safe: one lock, taken by vCPU threads (table writes) and device threads ({@link #setPending}).
 */
public final class MsixTable {
    private final int vectors;
    private final long[] address;
    private final int[] data;
    private final boolean[] masked;
    private final long[] pending;
    private final MsixVectorListener listener;
    private boolean enabled;
    private boolean functionMasked;
    /**
     * Per vector, 1 when a message may be sent now (enabled, function and vector unmasked): a copy of the
     * state above, rewritten under the lock after every change and read without it by device threads.
     */
    private final AtomicIntegerArray deliverable;

    public MsixTable(int vectors, MsixVectorListener listener) {
        if (vectors < 1 || vectors > MsixLayout.MAX_VECTORS) {
            throw new IllegalArgumentException("MSI-X vectors " + vectors + "; must be 1-" + MsixLayout.MAX_VECTORS);
        }
        this.vectors = vectors;
        this.listener = listener;
        address = new long[vectors];
        data = new int[vectors];
        masked = new boolean[vectors];
        pending = new long[(vectors + 63) / 64];
        deliverable = new AtomicIntegerArray(vectors);
        reset();
    }

    public int vectors() {
        return vectors;
    }

    /** The state after a function reset: every vector masked, zero messages, nothing pending (6.8.2.9). */
    public synchronized void reset() {
        Arrays.fill(address, 0);
        Arrays.fill(data, 0);
        Arrays.fill(masked, true);
        Arrays.fill(pending, 0);
        enabled = false;
        functionMasked = false;
        publishDeliverable();
    }

    // ---- guest MMIO ----------------------------------------------------------------------------------

    /** A guest read of {@code size} bytes at {@code offset} into the table. */
    public synchronized long readTable(long offset, int size) {
        if (!validAccess(offset, size, MsixLayout.tableSizeBytes(vectors))) {
            return 0;
        }
        long lo = Integer.toUnsignedLong(readField(offset));
        return size == 4 ? lo : lo | Integer.toUnsignedLong(readField(offset + 4)) << 32;
    }

    /** A guest write to the table; see the class comment for what is ignored. */
    public synchronized void writeTable(long offset, int size, long value) {
        if (!validAccess(offset, size, MsixLayout.tableSizeBytes(vectors))) {
            return;
        }
        int v = (int) (offset / ENTRY_SIZE);
        long oldAddress = address[v];
        int oldData = data[v];
        boolean oldMasked = masked[v];
        writeField(offset, (int) value);
        if (size == 8) {
            writeField(offset + 4, (int) (value >>> 32));
        }
        if (address[v] != oldAddress || data[v] != oldData || masked[v] != oldMasked) {
            listener.vectorChanged(v, address[v], data[v], masked[v]);
        }
        deliverable.set(v, enabled && !functionMasked && !masked[v] ? 1 : 0);
        if (oldMasked && !masked[v]) {
            deliverIfPending(v);
        }
    }

    /** A guest read of the PBA; guest writes to the PBA are ignored (it is read-only), so there is no writePba. */
    public synchronized long readPba(long offset, int size) {
        if (!validAccess(offset, size, MsixLayout.pbaSizeBytes(vectors))) {
            return 0;
        }
        long word = pending[(int) (offset / 8)];
        return size == 8 ? word : (word >>> (8 * (offset % 8))) & 0xffff_ffffL;
    }

    // ---- device side ---------------------------------------------------------------------------------

    /** True if the vector's own mask bit or the function mask is set. */
    public synchronized boolean isMasked(int vector) {
        return masked[check(vector)] || functionMasked;
    }

    /** True if a message for {@code vector} may be sent now: MSI-X enabled, nothing masked. */
    public synchronized boolean canDeliver(int vector) {
        return enabled && !isMasked(vector);
    }

    /**
     * {@link #canDeliver} without the lock, for the device's interrupt fast path. A guest mask racing this
     * read may let one message out just after the mask write, as a message already in flight would on
     * hardware; a racing unmask is caught by {@link #setPending}, which re-checks under the lock.
     */
    public boolean deliverableAcquire(int vector) {
        // ORDERING: volatile read pairs with the volatile write in publish*, made after the fields changed.
        return deliverable.get(check(vector)) != 0;
    }

    /**
     * Records an interrupt raised while the vector could not be delivered. If it has become deliverable in
     * the meantime (a racing unmask), it is delivered at once, so no interrupt is lost.
     */
    public synchronized void setPending(int vector) {
        pending[check(vector) >>> 6] |= 1L << (vector & 63);
        deliverIfPending(vector);
    }

    /** Drops a pending interrupt whose cause went away (allowed by 6.8.3.3). */
    public synchronized void clearPending(int vector) {
        pending[check(vector) >>> 6] &= ~(1L << (vector & 63));
    }

    public synchronized boolean isPending(int vector) {
        return (pending[check(vector) >>> 6] & 1L << (vector & 63)) != 0;
    }

    public synchronized long address(int vector) {
        return address[check(vector)];
    }

    public synchronized int data(int vector) {
        return data[check(vector)];
    }

    public synchronized boolean isEnabled() {
        return enabled;
    }

    public synchronized boolean isFunctionMasked() {
        return functionMasked;
    }

    /** From the capability's Message Control: tells the listener, then delivers what became deliverable. */
    synchronized void setControl(boolean newEnabled, boolean newFunctionMasked) {
        if (newEnabled == enabled && newFunctionMasked == functionMasked) {
            return;
        }
        enabled = newEnabled;
        functionMasked = newFunctionMasked;
        publishDeliverable();
        listener.functionChanged(enabled, functionMasked);
        for (int v = 0; v < vectors; v++) {
            deliverIfPending(v);
        }
    }

    // ---- internals -----------------------------------------------------------------------------------

    private void publishDeliverable() {
        for (int v = 0; v < vectors; v++) {
            deliverable.set(v, enabled && !functionMasked && !masked[v] ? 1 : 0);
        }
    }

    private void deliverIfPending(int v) {
        long bit = 1L << (v & 63);
        if ((pending[v >>> 6] & bit) != 0 && enabled && !functionMasked && !masked[v]) {
            pending[v >>> 6] &= ~bit;
            listener.deliverPending(v);
        }
    }

    /** Aligned dword or aligned qword, wholly inside the structure (PCI 3.0 6.8.2). */
    private static boolean validAccess(long offset, int size, long limit) {
        return (size == 4 || size == 8) && offset >= 0 && offset % size == 0 && offset <= limit - size;
    }

    private int readField(long offset) {
        int v = (int) (offset / ENTRY_SIZE);
        return switch ((int) (offset % ENTRY_SIZE)) {
            case ENTRY_ADDRESS_LO_OFFSET -> (int) address[v];
            case ENTRY_ADDRESS_HI_OFFSET -> (int) (address[v] >>> 32);
            case ENTRY_DATA_OFFSET -> data[v];
            default -> masked[v] ? VECTOR_CONTROL_MASK : 0;
        };
    }

    private void writeField(long offset, int value) {
        int v = (int) (offset / ENTRY_SIZE);
        switch ((int) (offset % ENTRY_SIZE)) {
            case ENTRY_ADDRESS_LO_OFFSET ->
                address[v] = address[v] & ~0xffff_ffffL | Integer.toUnsignedLong(value) & MsixLayout.ADDRESS_LO_MASK;
            case ENTRY_ADDRESS_HI_OFFSET -> address[v] = address[v] & 0xffff_ffffL | (long) value << 32;
            case ENTRY_DATA_OFFSET -> data[v] = value;
            case ENTRY_VECTOR_CONTROL_OFFSET -> masked[v] = (value & VECTOR_CONTROL_MASK) != 0;
            default -> throw new AssertionError("unaligned MSI-X field offset " + offset);
        }
    }

    private int check(int vector) {
        if (vector < 0 || vector >= vectors) {
            throw new IndexOutOfBoundsException("MSI-X vector " + vector + " of " + vectors);
        }
        return vector;
    }
}
