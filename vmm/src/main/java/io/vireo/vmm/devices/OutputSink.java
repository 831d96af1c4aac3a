package io.vireo.vmm.devices;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** Where a console device's transmitted bytes go. {@link #write} may buffer; {@link #flush} pushes them out. */
public interface OutputSink {
    void write(int b);

    void flush();

    /**
     * A sink over a stream (e.g. {@code new FileOutputStream(FileDescriptor.out)}), buffered by the caller if
     * wanted. I/O errors surface as {@link UncheckedIOException}.
     */
    static OutputSink of(OutputStream out) {
        return new OutputSink() {
            @Override
            public void write(int b) {
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
        };
    }
}
