package io.vireo.vmm.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Uart16550Test {
    private static final int BASE = Uart16550.COM1_PORT;
    private static final int RBR = BASE;
    private static final int THR = BASE;
    private static final int DLL = BASE;
    private static final int IER = BASE + 1;
    private static final int DLM = BASE + 1;
    private static final int IIR = BASE + 2;
    private static final int FCR = BASE + 2;
    private static final int LCR = BASE + 3;
    private static final int MCR = BASE + 4;
    private static final int LSR = BASE + 5;
    private static final int MSR = BASE + 6;
    private static final int SCR = BASE + 7;

    /** Collects output and remembers what had been flushed. */
    static final class Sink implements OutputSink {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        String flushed = "";

        @Override
        public void write(int b) {
            written.write(b);
        }

        @Override
        public void flush() {
            flushed = written.toString();
        }
    }

    private Sink sink;
    private List<Boolean> irqLevels;
    private Uart16550 uart;

    @BeforeEach
    void setUp() {
        sink = new Sink();
        irqLevels = new ArrayList<>();
        uart = new Uart16550(sink, irqLevels::add);
    }

    private int in(int port) {
        return uart.read(port, 1);
    }

    private void out(int port, int value) {
        uart.write(port, 1, value);
    }

    private boolean irq() {
        return !irqLevels.isEmpty() && irqLevels.get(irqLevels.size() - 1);
    }

    private void feed(String s) {
        byte[] b = s.getBytes();
        assertEquals(b.length, uart.receive(b, 0, b.length));
    }

    @Test
    void shouldSendThrBytesToSinkAndFlushAtNewline() {
        for (char c : "hi\nyo".toCharArray()) {
            out(THR, c);
        }
        assertEquals("hi\nyo", sink.written.toString());
        assertEquals("hi\n", sink.flushed);
        uart.flush();
        assertEquals("hi\nyo", sink.flushed);
    }

    @Test
    void shouldFlushWhenGuestWritesIer() {
        out(THR, 'x');
        out(IER, 0);
        assertEquals("x", sink.flushed);
    }

    @Test
    void shouldReportTransmitterEmptyAfterWrite() {
        assertEquals(0x60, in(LSR));
        out(THR, 'a');
        assertEquals(0x60, in(LSR) & 0x61, "THRE and TEMT, no data ready");
    }

    @Test
    void shouldRoundTripDivisorLatchUnderDlab() {
        out(IER, 0x05);
        out(LCR, 0x83);
        out(DLL, 0x01);
        out(DLM, 0x02);
        assertEquals(0x01, in(DLL));
        assertEquals(0x02, in(DLM));
        out(LCR, 0x03);
        assertEquals(0x05, in(IER), "IER unchanged by DLM writes");
        assertEquals(0x03, in(LCR));
        assertEquals("", sink.written.toString(), "a DLL write is not a THR write");
    }

    @Test
    void shouldKeepScratchRegister() {
        out(SCR, 0xa5);
        assertEquals(0xa5, in(SCR));
        out(SCR, 0x5a);
        assertEquals(0x5a, in(SCR));
    }

    @Test
    void shouldFifoReceivedBytesAndSetDataReady() {
        out(FCR, 0x01);
        feed("abc");
        assertEquals(0x61, in(LSR));
        assertEquals('a', in(RBR));
        assertEquals('b', in(RBR));
        assertEquals('c', in(RBR));
        assertEquals(0x60, in(LSR));
    }

    @Test
    void shouldApplyBackpressureWhenFifoFull() {
        out(FCR, 0x01);
        byte[] data = new byte[40];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        assertEquals(16, uart.receive(data, 0, 40));
        assertEquals(0, uart.receive(data, 16, 24));
        assertEquals(0, in(RBR));
        assertEquals(1, uart.receive(data, 16, 24));
        for (int i = 1; i <= 16; i++) {
            assertEquals(i, in(RBR));
        }
        assertEquals(0, in(LSR) & 0x02, "no overrun: host input waits instead");
    }

    @Test
    void shouldHoldOneByteWhenFifoDisabled() {
        assertEquals(1, uart.receive(new byte[] {1, 2}, 0, 2));
    }

    @Test
    void shouldRaiseAndLowerIrqForReceivedData() {
        out(FCR, 0x01);
        out(IER, 0x01);
        assertFalse(irq());
        assertEquals(0xc1, in(IIR), "FIFOs on, no interrupt");

        feed("xy");
        assertTrue(irq());
        assertEquals(0xc4, in(IIR));
        in(RBR);
        assertTrue(irq(), "one byte still waiting");
        in(RBR);
        assertFalse(irq());
        assertEquals(List.of(true, false), irqLevels, "the line moves only on change");
    }

    @Test
    void shouldReportCharacterTimeoutBelowTriggerLevel() {
        out(FCR, 0x81); // trigger level 8
        out(IER, 0x01);
        feed("abc");
        assertEquals(0xcc, in(IIR));
        feed("defgh");
        assertEquals(0xc4, in(IIR));
    }

    @Test
    void shouldRaiseThreWhenIerBitNewlySetAndClearOnIirRead() {
        out(IER, 0x02);
        assertTrue(irq());
        assertEquals(0x02, in(IIR));
        assertFalse(irq(), "reading IIR with THRE as the source clears it");
        assertEquals(0x01, in(IIR));

        out(IER, 0x00);
        out(IER, 0x02);
        assertTrue(irq(), "re-enabling ETBEI raises THRE again (Linux's startup THRE test)");
    }

    @Test
    void shouldReraiseThreAfterEachThrWrite() {
        out(IER, 0x02);
        in(IIR);
        assertFalse(irq());
        out(THR, 'q');
        assertTrue(irq());
        assertEquals(List.of(true, false, true), irqLevels);
        out(IER, 0x00);
        assertFalse(irq());
    }

    @Test
    void shouldPrioritiseReceiveOverThre() {
        out(FCR, 0x01);
        out(IER, 0x03);
        feed("z");
        assertEquals(0xc4, in(IIR), "receive data first");
        assertTrue(irq());
        in(RBR);
        assertEquals(0xc2, in(IIR), "then THRE");
        assertEquals(0xc1, in(IIR));
        assertFalse(irq());
    }

    @Test
    void shouldLoopBackForLinuxProbe() {
        // serial8250 autoconfig: MCR = LOOP | OUT2 | RTS, then MSR & 0xF0 must be DCD | CTS
        out(MCR, 0x1a);
        assertEquals(0x90, in(MSR) & 0xf0);
        out(MCR, 0x1f);
        assertEquals(0xf0, in(MSR) & 0xf0);
        out(MCR, 0x00);
        assertEquals(0xb0, in(MSR) & 0xf0, "outside loopback: DCD, DSR, CTS");
    }

    @Test
    void shouldEchoThrToRbrInLoopbackInsteadOfSink() {
        out(FCR, 0x01);
        out(MCR, 0x10);
        out(THR, 'L');
        assertEquals(0x61, in(LSR));
        assertEquals('L', in(RBR));
        assertEquals("", sink.written.toString());
        assertEquals(0, uart.receive(new byte[] {1}, 0, 1), "host input is disconnected in loopback");
    }

    @Test
    void shouldFlagOverrunInLoopbackWhenFifoFull() {
        out(MCR, 0x10); // FIFO off: one byte holds
        out(IER, 0x04);
        out(THR, 1);
        out(THR, 2);
        assertTrue(irq());
        assertEquals(0x06, in(IIR) & 0x0f);
        assertEquals(0x63, in(LSR));
        assertEquals(0x61, in(LSR), "OE clears on read");
        assertFalse(irq());
    }

    @Test
    void shouldSignalModemStatusChangeWhenEnabled() {
        out(IER, 0x08);
        assertFalse(irq());
        out(MCR, 0x10); // loopback with all outputs low: DCD, DSR, CTS drop
        assertTrue(irq());
        assertEquals(0x00, in(IIR));
        int msr = in(MSR);
        assertEquals(0x0b, msr & 0x0f, "DDCD, DDSR, DCTS");
        assertFalse(irq(), "reading MSR clears the deltas");
    }

    @Test
    void shouldWaitForRoomWhenReceivingBlocking() throws Exception {
        out(FCR, 0x01);
        byte[] data = new byte[20];
        CountDownLatch done = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                uart.receiveBlocking(data, 0, data.length);
                done.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertFalse(done.await(100, TimeUnit.MILLISECONDS), "16 bytes fit, 4 wait");
        for (int i = 0; i < 4; i++) {
            in(RBR);
        }
        assertTrue(done.await(5, TimeUnit.SECONDS));
        t.join();
        assertEquals(0x61, in(LSR));
    }

    @Test
    void shouldDriveIrqConsistentlyUnderConcurrentInputAndReads() throws Exception {
        List<Boolean> levels = new ArrayList<>();
        Uart16550 u = new Uart16550(sink, level -> {
            synchronized (levels) {
                levels.add(level);
            }
        });
        u.write(FCR, 1, 0x01);
        u.write(IER, 1, 0x01);
        int total = 20_000;
        Thread producer = Thread.ofPlatform().start(() -> {
            byte[] one = {42};
            try {
                for (int i = 0; i < total; i++) {
                    u.receiveBlocking(one, 0, 1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        int got = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (got < total && System.nanoTime() < deadline) {
            if ((u.read(LSR, 1) & 1) != 0) {
                assertEquals(42, u.read(RBR, 1));
                got++;
            }
        }
        producer.join();
        assertEquals(total, got);
        synchronized (levels) {
            for (int i = 1; i < levels.size(); i++) {
                assertTrue(levels.get(i) != levels.get(i - 1), "IrqLine called only on change");
            }
            assertFalse(levels.get(levels.size() - 1), "FIFO empty: line low at the end");
        }
    }
}
