package io.vireo.vmm.machine;

import io.vireo.vmm.ExitStatus;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;
import io.vireo.vmm.devices.Uart16550;
import io.vireo.vmm.log.Console;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Host stdin to the guest's UART. On a terminal, the terminal goes to raw mode (so keys such as
 * Ctrl-C reach the guest) and Ctrl-A then x stops the VM, as in QEMU; the mode is restored at exit.
 */
final class ConsoleInput implements Runnable {
    private static final int STDIN = 0;
    private static final int CTRL_A = 0x01;

    private final Uart16550 uart;
    private final Machine machine;
    private final boolean tty;
    private MemorySegment savedTermios;

    ConsoleInput(Uart16550 uart, Machine machine) {
        this.uart = uart;
        this.machine = machine;
        this.tty = Libc.isatty(STDIN) == 1;
    }

    /** Raw mode on a terminal; returns whether the terminal must be restored. */
    boolean enterRawMode() {
        if (!tty) {
            return false;
        }
        try {
            savedTermios = Arena.global().allocate(Libc.TERMIOS_SIZE, 8);
            Libc.tcgetattr(STDIN, savedTermios);
            MemorySegment raw = Arena.global().allocate(Libc.TERMIOS_SIZE, 8);
            raw.copyFrom(savedTermios);
            Libc.cfmakeraw(raw);
            Libc.tcsetattr(STDIN, Libc.TCSANOW, raw);
            Console.rawMode(true);
            return true;
        } catch (SysException e) {
            savedTermios = null;
            return false;
        }
    }

    void restore() {
        if (savedTermios != null) {
            try {
                Libc.tcsetattr(STDIN, Libc.TCSANOW, savedTermios);
                Console.rawMode(false);
            } catch (SysException ignored) {
                // The terminal went away: nothing left to restore.
            }
        }
    }

    @Override
    public void run() {
        try {
            pump();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the machine is stopping
        }
    }

    private void pump() throws InterruptedException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            byte[] bytes = new byte[256];
            boolean escape = false;
            while (!machine.stopping()) {
                long n = Libc.readRaw(STDIN, buf, buf.byteSize());
                if (n <= 0) {
                    if (n != -io.vireo.sys.Errno.EINTR) { // EOF, or an error other than EINTR: no more input
                        return;
                    }
                    continue;
                }
                int len = 0;
                for (int i = 0; i < n; i++) {
                    int b = buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 0xff;
                    if (tty && escape) {
                        escape = false;
                        if (b == 'x' || b == 'X') {
                            machine.stop(ExitStatus.SIGINT, "stopped from the console (Ctrl-A x)");
                            return;
                        }
                        if (b != CTRL_A) {
                            bytes[len++] = CTRL_A;
                        }
                    } else if (tty && b == CTRL_A) {
                        escape = true;
                        continue;
                    }
                    bytes[len++] = (byte) b;
                }
                uart.receiveBlocking(bytes, 0, len);
            }
        }
    }
}
