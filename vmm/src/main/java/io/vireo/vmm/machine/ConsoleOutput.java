package io.vireo.vmm.machine;

import io.vireo.vmm.devices.OutputSink;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;

/**
 * The guest's serial output, to our stdout, noting the first byte for the boot clock. The UART
 * flushes at newlines and when the guest pauses.
 */
final class ConsoleOutput implements OutputSink {
    private final OutputSink out;
    private final BootClock clock;

    ConsoleOutput(BootClock clock) {
        this.out = OutputSink.of(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 8192));
        this.clock = clock;
    }

    @Override
    public void write(int b) {
        clock.consoleByte();
        out.write(b);
    }

    @Override
    public void flush() {
        out.flush();
    }
}
