package io.vireo.vmm.machine;

import io.vireo.vmm.ExitStatus;
import io.vireo.sys.Libc;
import io.vireo.sys.PollFdLayout;
import io.vireo.sys.SysException;
import io.vireo.vmm.devices.Uart16550;
import io.vireo.vmm.log.Console;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Host stdin to the guest's UART. On a terminal, the terminal goes to raw mode (so keys such as
 * Ctrl-C reach the guest) and Ctrl-A then x stops the VM, as in QEMU; the mode is restored at exit.
 *
 * <p>The pump waits in {@code poll} on stdin and on an eventfd that {@link #close()} signals, so closing the machine
 * ends its console thread even while stdin stays open (embedded use: one JVM builds and closes many machines).
 */
final class ConsoleInput implements Runnable, AutoCloseable {
    private static final int STDIN = 0;
    private static final int CTRL_A = 0x01;

    private final Uart16550 uart;
    private final Machine machine;
    private final boolean tty;
    private final int stopFd;
    private MemorySegment savedTermios;
    private Thread thread;
    private Thread restoreHook;

    ConsoleInput(Uart16550 uart, Machine machine) {
        this.uart = uart;
        this.machine = machine;
        this.tty = Libc.isatty(STDIN) == 1;
        this.stopFd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
    }

    /** Raw mode (restored at JVM exit or {@link #close()}) and the pump thread. */
    void start() {
        if (enterRawMode()) {
            restoreHook = new Thread(this::restore);
            Runtime.getRuntime().addShutdownHook(restoreHook);
        }
        thread = Thread.ofPlatform().name("console-in").daemon(true).start(this);
    }

    /** Ends the pump thread, restores the terminal, closes the eventfd. */
    @Override
    public void close() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(8, 8);
            one.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1L);
            Libc.writeRaw(stopFd, one, 8);
        }
        if (thread != null) {
            thread.interrupt(); // a pump blocked handing bytes to the UART
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        restore();
        if (restoreHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(restoreHook);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs anyway.
            }
        }
        Libc.closeQuietly(stopFd);
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

    /**
     * stdin for the pump, opened again ({@code /proc/self/fd/0}: a new open file description of the same pipe or
     * terminal) with O_NONBLOCK. The pump may share stdin with another reader in the same process (an embedding
     * application, a test runner's command channel): after poll says readable, the other reader may take the bytes
     * first, and a blocking read would then wait for input that may never come, where {@link #close()} cannot end it
     * (a fresh-clone CI run saw a console-in thread left over that way). O_NONBLOCK on fd 0 itself would change it
     * for that other reader too. A regular file (reads never wait; a new description would start at offset 0) or a
     * refused reopen keeps fd 0.
     */
    private static int pumpFd() {
        try {
            if (java.nio.file.Files.isRegularFile(java.nio.file.Path.of("/proc/self/fd/0"))) {
                return STDIN;
            }
            return Libc.open("/proc/self/fd/0", Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        } catch (RuntimeException e) {
            return STDIN;
        }
    }

    private void pump() throws InterruptedException {
        int in = pumpFd();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            MemorySegment fds = arena.allocate(PollFdLayout.SIZE * 2, 8);
            fds.set(JAVA_INT, PollFdLayout.FD_OFFSET, in);
            fds.set(JAVA_SHORT, PollFdLayout.EVENTS_OFFSET, Libc.POLLIN);
            fds.set(JAVA_INT, PollFdLayout.SIZE + PollFdLayout.FD_OFFSET, stopFd);
            fds.set(JAVA_SHORT, PollFdLayout.SIZE + PollFdLayout.EVENTS_OFFSET, Libc.POLLIN);
            byte[] bytes = new byte[256];
            boolean escape = false;
            while (!machine.stopping()) {
                fds.set(JAVA_SHORT, PollFdLayout.REVENTS_OFFSET, (short) 0);
                fds.set(JAVA_SHORT, PollFdLayout.SIZE + PollFdLayout.REVENTS_OFFSET, (short) 0);
                if (Libc.poll(fds, 2, -1) <= 0) {
                    continue; // EINTR
                }
                if (fds.get(JAVA_SHORT, PollFdLayout.SIZE + PollFdLayout.REVENTS_OFFSET) != 0) {
                    return; // closed
                }
                long n = Libc.readRaw(in, buf, buf.byteSize());
                if (n <= 0) {
                    // EINTR, or EAGAIN: another reader of stdin took the bytes poll saw
                    if (n != -io.vireo.sys.Errno.EINTR && n != -io.vireo.sys.Errno.EAGAIN) {
                        return; // EOF, or an error: no more input
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
        } finally {
            if (in != STDIN) {
                Libc.closeQuietly(in);
            }
        }
    }
}
