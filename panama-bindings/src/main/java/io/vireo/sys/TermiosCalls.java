package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** Terminal attributes behind {@link Libc}: enough to put the host terminal into raw mode and back. */
final class TermiosCalls {

    private static final MethodHandle TCGETATTR = Native.capturing("tcgetattr",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle TCSETATTR = Native.capturing("tcsetattr",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle CFMAKERAW = Native.plain("cfmakeraw",
        FunctionDescriptor.ofVoid(ADDRESS));

    private TermiosCalls() {
    }

    static void tcgetattr(final int fd, final MemorySegment termios) {
        checkSize(termios);
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) TCGETATTR.invokeExact(capture, fd, termios);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("tcgetattr(" + fd + ")", Native.errno(capture));
        }
    }

    static void tcsetattr(final int fd, final int action, final MemorySegment termios) {
        checkSize(termios);
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) TCSETATTR.invokeExact(capture, fd, action, termios);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("tcsetattr(" + fd + ")", Native.errno(capture));
        }
    }

    static void cfmakeraw(final MemorySegment termios) {
        checkSize(termios);
        try {
            CFMAKERAW.invokeExact(termios);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static void checkSize(final MemorySegment termios) {
        if (termios.byteSize() < TermiosLayout.SIZE) {
            throw new IllegalArgumentException("termios segment too small: byteSize=" + termios.byteSize()
                + ", need=" + TermiosLayout.SIZE);
        }
    }
}
