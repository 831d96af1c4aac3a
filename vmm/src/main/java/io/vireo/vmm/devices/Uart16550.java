package io.vireo.vmm.devices;

import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Objects;

/**
 * A 16550A UART (the PC's COM port), enough for Linux's {@code serial8250} driver and its probe.
 *
 * <pre>
 * off  DLAB=0 read / write        DLAB=1        notes
 * 0    RBR  / THR                 DLL           THR bytes leave at once: THRE and TEMT always read 1
 * 1    IER  (bits 3:0)            DLM           setting ETBEI (bit 1) raises THRE, like real hardware
 * 2    IIR  / FCR                 IIR / FCR     IIR bits 7:6 = 11 when the FIFOs are on
 * 3    LCR                                      bit 7 = DLAB
 * 4    MCR  (bits 4:0)                          bit 4 = loopback: THR feeds RBR, MSR follows MCR
 * 5    LSR                                      DR, OE (loopback overrun only), THRE, TEMT
 * 6    MSR                                      DCD|DSR|CTS outside loopback; deltas clear on read
 * 7    SCR
 * </pre>
 *
 * <p>Interrupts, highest priority first (IIR bits 3:0): line status 0x6 (OE with ELSI), receive data 0x4
 * (or character timeout 0xC while the FIFO holds less than its trigger level, reported at once instead of
 * after four character times), THR empty 0x2 (cleared by reading it in IIR or by writing THR; a THR write
 * empties THR again at once, so it re-arms), modem status 0x0. The IRQ output is a level: asserted while
 * IIR shows an interrupt (not gated by MCR OUT2, as in QEMU and Firecracker).
 *
 * <p>Input: {@link #receive} takes what fits in the 16-byte FIFO (1 byte with the FIFO off) and returns how
 * many it took; {@link #receiveBlocking} waits for room. Host input is never dropped: the stdin thread is held
 * back instead, so the guest never sees an overrun from it.
 *
 * <p>Output goes to the {@link OutputSink} byte by byte and is flushed at each newline and at each IER write
 * (Linux writes IER when a burst ends: the console restores it, the tty driver clears ETBEI when its buffer
 * runs dry), and when {@link #flush()} is called.
 *
 * <p>Threads: vCPU threads and the stdin thread call in concurrently. Register state is guarded by this
 * object's monitor. The IRQ line is driven under a second lock, {@code irqLock}, taken before the monitor and
 * never while holding it: each change of state is followed by re-reading the level under {@code irqLock}, so
 * the last writer always leaves the line at the current level and the {@link IrqLine} is called only on change.
 */
public final class Uart16550 implements PioDevice {
    public static final int COM1_PORT = 0x3f8;
    public static final int COM1_IRQ = 4;
    public static final int LENGTH = 8;
    public static final int FIFO_SIZE = 16;

    static final int RBR_THR_DLL = 0;
    static final int IER_DLM = 1;
    static final int IIR_FCR = 2;
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    static final int IER_ERBFI = 0x01;
    static final int IER_ETBEI = 0x02;
    static final int IER_ELSI = 0x04;
    static final int IER_EDSSI = 0x08;
    static final int IER_MASK = 0x0f;

    static final int IIR_NO_INT = 0x01;
    static final int IIR_MSI = 0x00;
    static final int IIR_THRI = 0x02;
    static final int IIR_RDI = 0x04;
    static final int IIR_RLSI = 0x06;
    static final int IIR_CTI = 0x0c;
    static final int IIR_FIFO_ENABLED = 0xc0;

    static final int FCR_ENABLE = 0x01;
    static final int FCR_CLEAR_RX = 0x02;
    static final int FCR_TRIGGER_SHIFT = 6;

    static final int LCR_DLAB = 0x80;

    static final int MCR_DTR = 0x01;
    static final int MCR_RTS = 0x02;
    static final int MCR_OUT1 = 0x04;
    static final int MCR_OUT2 = 0x08;
    static final int MCR_LOOP = 0x10;
    static final int MCR_MASK = 0x1f;

    static final int LSR_DR = 0x01;
    static final int LSR_OE = 0x02;
    static final int LSR_THRE = 0x20;
    static final int LSR_TEMT = 0x40;

    static final int MSR_DCTS = 0x01;
    static final int MSR_DDSR = 0x02;
    static final int MSR_TERI = 0x04;
    static final int MSR_DDCD = 0x08;
    static final int MSR_CTS = 0x10;
    static final int MSR_DSR = 0x20;
    static final int MSR_RI = 0x40;
    static final int MSR_DCD = 0x80;

    private static final int[] TRIGGER_LEVELS = {1, 4, 8, 14};
    private static final Logger LOG = System.getLogger(Uart16550.class.getName());

    private final int base;
    private final IrqLine irq;
    private final OutputSink sink;

    private final Object irqLock = new Object();
    private boolean lineLevel; // guarded by irqLock

    // Everything below is guarded by this.
    private final byte[] rx = new byte[FIFO_SIZE];
    private int rxHead;
    private int rxCount;
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int dll = 12; // 9600 baud from the 1.8432 MHz clock, the usual firmware setting
    private int dlm;
    private boolean fifoEnabled;
    private int triggerLevel = 1;
    private boolean thrEmptyPending;
    private boolean overrun;
    private int msrDelta;
    private long sinkErrors;

    /** A UART at COM1 (0x3F8); wire {@code irq} to ISA IRQ {@link #COM1_IRQ}. */
    public Uart16550(OutputSink sink, IrqLine irq) {
        this(COM1_PORT, sink, irq);
    }

    public Uart16550(int basePort, OutputSink sink, IrqLine irq) {
        this.base = basePort;
        this.sink = Objects.requireNonNull(sink);
        this.irq = Objects.requireNonNull(irq);
    }

    @Override
    public int read(int port, int size) {
        int v = 0;
        synchronized (this) {
            for (int i = 0; i < size; i++) {
                v |= readRegister(port - base + i) << (8 * i);
            }
        }
        updateIrq();
        return v;
    }

    @Override
    public void write(int port, int size, int value) {
        synchronized (this) {
            for (int i = 0; i < size; i++) {
                writeRegister(port - base + i, (value >>> (8 * i)) & 0xff);
            }
        }
        updateIrq();
    }

    /**
     * Host input: puts as many bytes as fit into the receive FIFO and returns that count (0 when full or in
     * loopback, where the serial input is disconnected). Never drops a byte.
     */
    public int receive(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, data.length);
        int taken;
        synchronized (this) {
            taken = takeLocked(data, off, len);
        }
        if (taken > 0) {
            updateIrq();
        }
        return taken;
    }

    /** Host input that waits until the guest has read enough to take all of it. */
    public void receiveBlocking(byte[] data, int off, int len) throws InterruptedException {
        Objects.checkFromIndexSize(off, len, data.length);
        int done = 0;
        while (done < len) {
            int n;
            synchronized (this) {
                while ((n = takeLocked(data, off + done, len - done)) == 0) {
                    wait();
                }
            }
            done += n;
            updateIrq();
        }
    }

    /** Pushes buffered output to the sink, e.g. when the vCPU halts or the VM stops. */
    public synchronized void flush() {
        flushSink();
    }

    /** How many times the sink threw; output is dropped then, and the guest goes on. */
    public synchronized long sinkErrors() {
        return sinkErrors;
    }

    private int readRegister(int off) {
        return switch (off) {
            case RBR_THR_DLL -> dlab() ? dll : popRx();
            case IER_DLM -> dlab() ? dlm : ier;
            case IIR_FCR -> readIir();
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> readLsr();
            case MSR -> readMsr();
            case SCR -> scr;
            default -> 0xff;
        };
    }

    private void writeRegister(int off, int v) {
        switch (off) {
            case RBR_THR_DLL -> {
                if (dlab()) {
                    dll = v;
                } else {
                    transmit(v);
                }
            }
            case IER_DLM -> {
                if (dlab()) {
                    dlm = v;
                } else {
                    writeIer(v);
                }
            }
            case IIR_FCR -> writeFcr(v);
            case LCR -> lcr = v;
            case MCR -> writeMcr(v);
            case SCR -> scr = v;
            default -> {
                // LSR and MSR writes are factory-test features: ignored.
            }
        }
    }

    private boolean dlab() {
        return (lcr & LCR_DLAB) != 0;
    }

    private boolean loopback() {
        return (mcr & MCR_LOOP) != 0;
    }

    private int rxCapacity() {
        return fifoEnabled ? FIFO_SIZE : 1;
    }

    private void transmit(int b) {
        if (loopback()) {
            if (!pushRx(b)) {
                overrun = true;
            }
        } else {
            sinkWrite(b);
            if (b == '\n') {
                flushSink();
            }
        }
        // The byte leaves THR at once, so THR is empty again: THRE re-arms (the guest's write cleared it).
        thrEmptyPending = true;
    }

    private void writeIer(int v) {
        int newIer = v & IER_MASK;
        if ((newIer & IER_ETBEI) != 0 && (ier & IER_ETBEI) == 0) {
            thrEmptyPending = true;
        } else if ((newIer & IER_ETBEI) == 0) {
            thrEmptyPending = false;
        }
        ier = newIer;
        flushSink();
    }

    private void writeFcr(int v) {
        boolean enable = (v & FCR_ENABLE) != 0;
        // Changing FCR bit 0 clears both FIFOs; bit 1 clears the receive FIFO (16550A data sheet, FCR).
        if (enable != fifoEnabled || (enable && (v & FCR_CLEAR_RX) != 0)) {
            clearRx();
        }
        fifoEnabled = enable;
        triggerLevel = enable ? TRIGGER_LEVELS[v >>> FCR_TRIGGER_SHIFT & 0x3] : 1;
    }

    private void writeMcr(int v) {
        int before = msrStatus();
        boolean wasLoopback = loopback();
        mcr = v & MCR_MASK;
        int after = msrStatus();
        int changed = before ^ after;
        if ((changed & MSR_CTS) != 0) {
            msrDelta |= MSR_DCTS;
        }
        if ((changed & MSR_DSR) != 0) {
            msrDelta |= MSR_DDSR;
        }
        if ((before & MSR_RI) != 0 && (after & MSR_RI) == 0) {
            msrDelta |= MSR_TERI;
        }
        if ((changed & MSR_DCD) != 0) {
            msrDelta |= MSR_DDCD;
        }
        if (wasLoopback && !loopback()) {
            notifyAll(); // host input may flow again
        }
    }

    private int readIir() {
        int id = interruptId();
        if (id == IIR_THRI) {
            thrEmptyPending = false; // reading IIR with THRE as the source clears it
        }
        return id | (fifoEnabled ? IIR_FIFO_ENABLED : 0);
    }

    private int readLsr() {
        int lsr = LSR_THRE | LSR_TEMT;
        if (rxCount > 0) {
            lsr |= LSR_DR;
        }
        if (overrun) {
            lsr |= LSR_OE;
            overrun = false;
        }
        return lsr;
    }

    private int readMsr() {
        int v = msrStatus() | msrDelta;
        msrDelta = 0;
        return v;
    }

    /** The modem input lines: looped back from MCR in loopback, otherwise a connected, ready peer. */
    private int msrStatus() {
        if (!loopback()) {
            return MSR_DCD | MSR_DSR | MSR_CTS;
        }
        int v = 0;
        v |= (mcr & MCR_RTS) != 0 ? MSR_CTS : 0;
        v |= (mcr & MCR_DTR) != 0 ? MSR_DSR : 0;
        v |= (mcr & MCR_OUT1) != 0 ? MSR_RI : 0;
        v |= (mcr & MCR_OUT2) != 0 ? MSR_DCD : 0;
        return v;
    }

    /** IIR bits 3:0 for the highest-priority pending, enabled interrupt. */
    private int interruptId() {
        if (overrun && (ier & IER_ELSI) != 0) {
            return IIR_RLSI;
        }
        if (rxCount > 0 && (ier & IER_ERBFI) != 0) {
            return fifoEnabled && rxCount < triggerLevel ? IIR_CTI : IIR_RDI;
        }
        if (thrEmptyPending && (ier & IER_ETBEI) != 0) {
            return IIR_THRI;
        }
        if (msrDelta != 0 && (ier & IER_EDSSI) != 0) {
            return IIR_MSI;
        }
        return IIR_NO_INT;
    }

    private int popRx() {
        if (rxCount == 0) {
            return 0;
        }
        int b = rx[rxHead] & 0xff;
        rxHead = (rxHead + 1) % FIFO_SIZE;
        rxCount--;
        notifyAll(); // room for a waiting receiveBlocking
        return b;
    }

    private boolean pushRx(int b) {
        if (rxCount >= rxCapacity()) {
            return false;
        }
        rx[(rxHead + rxCount) % FIFO_SIZE] = (byte) b;
        rxCount++;
        return true;
    }

    private void clearRx() {
        rxHead = 0;
        rxCount = 0;
        notifyAll();
    }

    private int takeLocked(byte[] data, int off, int len) {
        if (loopback()) {
            return 0;
        }
        int n = 0;
        while (n < len && pushRx(data[off + n])) {
            n++;
        }
        return n;
    }

    private void sinkWrite(int b) {
        try {
            sink.write(b);
        } catch (UncheckedIOException e) {
            sinkFailed(e);
        }
    }

    private void flushSink() {
        try {
            sink.flush();
        } catch (UncheckedIOException e) {
            sinkFailed(e);
        }
    }

    private void sinkFailed(UncheckedIOException e) {
        if (sinkErrors++ == 0) {
            LOG.log(Level.WARNING, "serial output failed; dropping output from now on when it fails", e);
        }
    }

    /** Brings the IRQ line to the current level; call after releasing the monitor (see the class comment). */
    private void updateIrq() {
        synchronized (irqLock) {
            boolean level;
            synchronized (this) {
                level = interruptId() != IIR_NO_INT;
            }
            if (level != lineLevel) {
                lineLevel = level;
                irq.set(level);
            }
        }
    }
}
