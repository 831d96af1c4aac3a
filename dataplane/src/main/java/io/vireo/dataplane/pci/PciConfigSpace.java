package io.vireo.dataplane.pci;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.vireo.dataplane.pci.PciHeaderLayout.BAR_COUNT;
import static io.vireo.dataplane.pci.PciHeaderLayout.CAPABILITIES_POINTER_OFFSET;
import static io.vireo.dataplane.pci.PciHeaderLayout.CAPABILITIES_START;
import static io.vireo.dataplane.pci.PciHeaderLayout.COMMAND_OFFSET;
import static io.vireo.dataplane.pci.PciHeaderLayout.COMMAND_WRITABLE;
import static io.vireo.dataplane.pci.PciHeaderLayout.CONFIG_SIZE;
import static io.vireo.dataplane.pci.PciHeaderLayout.EXTENDED_CONFIG_SIZE;
import static io.vireo.dataplane.pci.PciHeaderLayout.STATUS_OFFSET;

/**
 * The configuration space of one type-0 function: 256 bytes, or 4 KiB for a PCI Express function reached
 * through ECAM. Every byte has a guest write mask (0 = read-only) and a write-1-to-clear mask; a guest write
 * changes only the bits its masks allow, so read-only ids, the capability list and the BAR type bits cannot
 * be changed by the guest.
 *
 * <p>The guest is hostile: {@link #read} and {@link #write} accept any offset and size from a config access;
 * bytes outside the space read as 0 and are not written, sizes other than 1-4 read 0 and write nothing.
 * Nothing here throws on guest input.
 *
 * <p>BARs follow the sizing protocol by construction: the address bits below the BAR's size and its type
 * bits are read-only, so writing all ones reads back {@code ~(size - 1) | type} (PCI 3.0 6.2.5.1).
 *
 * <p>Thread-safe: config accesses are rare (enumeration, MSI-X setup), so one lock; listeners run under it.
 */
public final class PciConfigSpace {
    private final byte[] data;
    private final byte[] writeMask;
    private final byte[] writeOneToClear;
    private final PciBar[] bars = new PciBar[BAR_COUNT];
    private final List<BarListener> barListeners = new CopyOnWriteArrayList<>();
    private final List<CommandListener> commandListeners = new CopyOnWriteArrayList<>();
    private final List<Watch> watches = new ArrayList<>();
    private int lastCapability;
    private int nextCapability = CAPABILITIES_START;

    private record Watch(int offset, int size, ConfigWriteObserver observer) {
    }

    /** A conventional (256-byte) function. */
    public PciConfigSpace(int vendorId, int deviceId, int classCode) {
        this(vendorId, deviceId, classCode, false);
    }

    /**
     * @param classCode 24 bits: base class, sub-class, programming interface (e.g. 0x060000, a host bridge)
     * @param extended  4 KiB of config space (PCI Express) rather than 256 bytes
     */
    public PciConfigSpace(int vendorId, int deviceId, int classCode, boolean extended) {
        int size = extended ? EXTENDED_CONFIG_SIZE : CONFIG_SIZE;
        data = new byte[size];
        writeMask = new byte[size];
        writeOneToClear = new byte[size];
        if ((vendorId & 0xffff) == 0xffff || (vendorId & ~0xffff) != 0 || (deviceId & ~0xffff) != 0) {
            throw new IllegalArgumentException("bad PCI ids " + Integer.toHexString(vendorId) + ":"
                + Integer.toHexString(deviceId) + " (16 bits each; vendor 0xffff means absent)");
        }
        if ((classCode & ~0xff_ffff) != 0) {
            throw new IllegalArgumentException("class code 0x" + Integer.toHexString(classCode) + " is over 24 bits");
        }
        setRegister(PciHeaderLayout.VENDOR_ID_OFFSET, 2, vendorId);
        setRegister(PciHeaderLayout.DEVICE_ID_OFFSET, 2, deviceId);
        setRegister(PciHeaderLayout.CLASS_CODE_OFFSET, 3, classCode);
        setMask(writeMask, COMMAND_OFFSET, 2, COMMAND_WRITABLE);
        setMask(writeOneToClear, STATUS_OFFSET, 2, PciHeaderLayout.STATUS_WRITE_ONE_TO_CLEAR);
        // Cache line size and interrupt line are plain scratch registers software programs (PCI 3.0 6.2.4).
        setMask(writeMask, PciHeaderLayout.CACHE_LINE_SIZE_OFFSET, 1, 0xff);
        setMask(writeMask, PciHeaderLayout.INTERRUPT_LINE_OFFSET, 1, 0xff);
    }

    /** Size in bytes: 256 or 4096. */
    public int sizeBytes() {
        return data.length;
    }

    // ---- guest accesses ------------------------------------------------------------------------------

    /** A guest read of {@code size} (1-4) bytes at any {@code offset}; little-endian, 0 beyond the space. */
    public synchronized int read(int offset, int size) {
        if (size < 1 || size > 4 || offset < 0 || offset >= data.length) {
            return 0;
        }
        int v = 0;
        for (int i = 0; i < size; i++) {
            int o = offset + i;
            if (o < data.length) {
                v |= (data[o] & 0xff) << (8 * i);
            }
        }
        return v;
    }

    /** A guest write: only bits the write masks allow change; listeners hear about BAR and command changes. */
    public synchronized void write(int offset, int size, int value) {
        if (size < 1 || size > 4 || offset < 0 || offset >= data.length) {
            return;
        }
        int end = Math.min(offset + size, data.length);
        int oldCommand = command();
        long[] oldBars = touchesBars(offset, end) ? barAddresses() : null;
        for (int o = offset; o < end; o++) {
            int b = value >>> (8 * (o - offset)) & 0xff;
            int wm = writeMask[o] & 0xff;
            int nv = (data[o] & 0xff & ~wm) | (b & wm);
            data[o] = (byte) (nv & ~(b & writeOneToClear[o] & 0xff));
        }
        int newCommand = command();
        if (newCommand != oldCommand) {
            for (CommandListener l : commandListeners) {
                l.commandChanged(oldCommand, newCommand);
            }
        }
        if (oldBars != null) {
            notifyMoves(oldBars);
        }
        for (Watch w : watches) {
            if (offset < w.offset() + w.size() && w.offset() < end) {
                w.observer().written(offset, end - offset);
            }
        }
    }

    // ---- VMM-side setup ------------------------------------------------------------------------------

    /**
     * Sets {@code size} (1-4) bytes of a register as the device model, ignoring write masks and telling
     * nobody: ids, read-only capability fields, status bits the device raises.
     */
    public synchronized void setRegister(int offset, int size, int value) {
        checkRange(offset, size);
        for (int i = 0; i < size; i++) {
            data[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    /** Marks bits of {@code size} bytes at {@code offset} guest-writable (1) or read-only (0). */
    public synchronized void setWriteMask(int offset, int size, int mask) {
        setMask(writeMask, offset, size, mask);
    }

    /** Marks bits the guest clears by writing 1 (RW1C); they are read-only otherwise. */
    public synchronized void setWriteOneToClear(int offset, int size, int mask) {
        setMask(writeOneToClear, offset, size, mask);
    }

    /** Calls {@code observer} after each guest write that touches bytes {@code [offset, offset + size)}. */
    public synchronized void watchWrites(int offset, int size, ConfigWriteObserver observer) {
        checkRange(offset, size);
        watches.add(new Watch(offset, size, observer));
    }

    public synchronized void setRevision(int revision) {
        setRegister(PciHeaderLayout.REVISION_ID_OFFSET, 1, revision);
    }

    public synchronized void setSubsystem(int subsystemVendorId, int subsystemId) {
        setRegister(PciHeaderLayout.SUBSYSTEM_VENDOR_ID_OFFSET, 2, subsystemVendorId);
        setRegister(PciHeaderLayout.SUBSYSTEM_ID_OFFSET, 2, subsystemId);
    }

    /** Interrupt pin: 0 = none, 1-4 = INTA#-INTD# (PCI 3.0 6.2.4). */
    public synchronized void setInterruptPin(int pin) {
        if (pin < 0 || pin > 4) {
            throw new IllegalArgumentException("interrupt pin " + pin + "; must be 0 (none) or 1-4 (INTA-INTD)");
        }
        setRegister(PciHeaderLayout.INTERRUPT_PIN_OFFSET, 1, pin);
    }

    /** Header type bit 7: set on function 0 of a device that has other functions (PCI 3.0 6.2.1). */
    public synchronized void setMultiFunction(boolean multiFunction) {
        int h = data[PciHeaderLayout.HEADER_TYPE_OFFSET] & ~PciHeaderLayout.HEADER_TYPE_MULTI_FUNCTION;
        data[PciHeaderLayout.HEADER_TYPE_OFFSET] = (byte) (h | (multiFunction
            ? PciHeaderLayout.HEADER_TYPE_MULTI_FUNCTION : 0));
    }

    /**
     * Appends a capability (PCI 3.0 6.7): {@code id}, a next pointer, then {@code body}; linked after the
     * last one, dword aligned, read-only until {@link #setWriteMask} says otherwise. Sets the status
     * register's capabilities-list bit. Returns the capability's offset.
     */
    public synchronized int addCapability(int id, byte... body) {
        int offset = nextCapability;
        int length = 2 + body.length;
        if ((id & ~0xff) != 0 || offset + length > CONFIG_SIZE) {
            throw new IllegalStateException("capability id 0x" + Integer.toHexString(id) + " of " + length
                + " bytes does not fit at 0x" + Integer.toHexString(offset) + " (capabilities end at 0x"
                + Integer.toHexString(CONFIG_SIZE) + ")");
        }
        data[offset] = (byte) id;
        data[offset + 1] = 0;
        System.arraycopy(body, 0, data, offset + 2, body.length);
        data[lastCapability == 0 ? CAPABILITIES_POINTER_OFFSET : lastCapability + 1] = (byte) offset;
        data[STATUS_OFFSET] |= (byte) PciHeaderLayout.STATUS_CAPABILITIES_LIST;
        lastCapability = offset;
        nextCapability = (offset + length + 3) & ~3;
        return offset;
    }

    // ---- identity ------------------------------------------------------------------------------------

    public synchronized int vendorId() {
        return read(PciHeaderLayout.VENDOR_ID_OFFSET, 2);
    }

    public synchronized int deviceId() {
        return read(PciHeaderLayout.DEVICE_ID_OFFSET, 2);
    }

    public synchronized int classCode() {
        return read(PciHeaderLayout.CLASS_CODE_OFFSET, 3);
    }

    public synchronized boolean isMultiFunction() {
        return (data[PciHeaderLayout.HEADER_TYPE_OFFSET] & PciHeaderLayout.HEADER_TYPE_MULTI_FUNCTION) != 0;
    }

    // ---- command register ----------------------------------------------------------------------------

    public synchronized int command() {
        return read(COMMAND_OFFSET, 2);
    }

    public boolean memoryEnabled() {
        return (command() & PciHeaderLayout.COMMAND_MEMORY_SPACE) != 0;
    }

    public boolean ioEnabled() {
        return (command() & PciHeaderLayout.COMMAND_IO_SPACE) != 0;
    }

    public boolean busMasterEnabled() {
        return (command() & PciHeaderLayout.COMMAND_BUS_MASTER) != 0;
    }

    public boolean intxDisabled() {
        return (command() & PciHeaderLayout.COMMAND_INTX_DISABLE) != 0;
    }

    public void addCommandListener(CommandListener l) {
        commandListeners.add(l);
    }

    // ---- BARs ----------------------------------------------------------------------------------------

    /**
     * Declares BAR {@code index}; a 64-bit BAR also takes {@code index + 1} for its upper half. The address
     * starts at 0 (unassigned) until the VMM ({@link #setBarAddress}) or the guest programs it.
     */
    public synchronized void defineBar(int index, PciBar bar) {
        int last = bar.is64Bit() ? index + 1 : index;
        if (index < 0 || last >= BAR_COUNT) {
            throw new IllegalArgumentException(bar.kind() + " BAR at index " + index + " does not fit in BARs 0-"
                + (BAR_COUNT - 1));
        }
        for (int i = index; i <= last; i++) {
            if (bars[i] != null || (i > 0 && bars[i - 1] != null && bars[i - 1].is64Bit())) {
                throw new IllegalArgumentException("BAR " + i + " is already defined");
            }
        }
        bars[index] = bar;
        long mask = bar.addressWriteMask();
        setMask(writeMask, PciHeaderLayout.barOffset(index), 4, (int) mask);
        setRegister(PciHeaderLayout.barOffset(index), 4, bar.typeBits());
        if (bar.is64Bit()) {
            setMask(writeMask, PciHeaderLayout.barOffset(index + 1), 4, (int) (mask >>> 32));
        }
    }

    /** The BAR declared at {@code index}, or null (none, or the upper half of a 64-bit BAR). */
    public synchronized PciBar bar(int index) {
        return index >= 0 && index < BAR_COUNT ? bars[index] : null;
    }

    /** The address BAR {@code index} currently decodes (type bits stripped); 0 for an undefined BAR. */
    public synchronized long barAddress(int index) {
        PciBar bar = bar(index);
        if (bar == null) {
            return 0;
        }
        long lo = Integer.toUnsignedLong(read(PciHeaderLayout.barOffset(index), 4));
        long hi = bar.is64Bit() ? Integer.toUnsignedLong(read(PciHeaderLayout.barOffset(index + 1), 4)) : 0;
        long raw = hi << 32 | lo;
        return raw & (bar.isIo() ? PciHeaderLayout.BAR_IO_ADDRESS_MASK : PciHeaderLayout.BAR_MEM_ADDRESS_MASK);
    }

    /** Firmware-style assignment by the VMM: {@code address} must be naturally aligned and fit the BAR's width. */
    public synchronized void setBarAddress(int index, long address) {
        PciBar bar = bar(index);
        if (bar == null) {
            throw new IllegalArgumentException("BAR " + index + " is not defined");
        }
        if ((address & (bar.sizeBytes() - 1)) != 0 || (address & ~bar.addressWriteMask()) != 0) {
            throw new IllegalArgumentException("BAR " + index + " (" + bar.kind() + ", size 0x"
                + Long.toHexString(bar.sizeBytes()) + ") cannot decode address 0x" + Long.toHexString(address));
        }
        long[] old = barAddresses();
        setRegister(PciHeaderLayout.barOffset(index), 4, (int) address | bar.typeBits());
        if (bar.is64Bit()) {
            setRegister(PciHeaderLayout.barOffset(index + 1), 4, (int) (address >>> 32));
        }
        notifyMoves(old);
    }

    public void addBarListener(BarListener l) {
        barListeners.add(l);
    }

    // ---- internals -----------------------------------------------------------------------------------

    private static boolean touchesBars(int offset, int end) {
        return offset < PciHeaderLayout.barOffset(BAR_COUNT) && PciHeaderLayout.BAR0_OFFSET < end;
    }

    private long[] barAddresses() {
        long[] a = new long[BAR_COUNT];
        for (int i = 0; i < BAR_COUNT; i++) {
            a[i] = barAddress(i);
        }
        return a;
    }

    private void notifyMoves(long[] old) {
        for (int i = 0; i < BAR_COUNT; i++) {
            long now = barAddress(i);
            if (now != old[i]) {
                for (BarListener l : barListeners) {
                    l.moved(i, old[i], now);
                }
            }
        }
    }

    private void setMask(byte[] mask, int offset, int size, int value) {
        checkRange(offset, size);
        for (int i = 0; i < size; i++) {
            mask[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    private void checkRange(int offset, int size) {
        if (size < 1 || size > 4 || offset < 0 || offset > data.length - size) {
            throw new IllegalArgumentException("config register at 0x" + Integer.toHexString(offset) + ", " + size
                + " bytes, is outside the " + data.length + "-byte config space");
        }
    }
}
