package io.vireo.vmm.machine;

import io.vireo.vmm.devices.OutputSink;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** The guest's serial output, to our stdout. The UART flushes at newlines and when the guest pauses. */
final class ConsoleOutput implements OutputSink {
    private final OutputStream out;
    private final BootClock clock;

    ConsoleOutput(BootClock clock) {
        this(new FileOutputStream(FileDescriptor.out), clock);
    }

    ConsoleOutput(OutputStream out, BootClock clock) {
        this.out = new BufferedOutputStream(out, 8192);
        this.clock = clock;
    }

    @Override
    public void write(int b) {
        clock.consoleByte();
        try {
            out.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
