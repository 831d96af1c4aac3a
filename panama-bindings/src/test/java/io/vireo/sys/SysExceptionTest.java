package io.vireo.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The exception message format, produced by real failing calls. */
class SysExceptionTest {

    @Test
    void shouldNameCallPathAndErrnoWhenOpenFails() {
        final SysException e = assertThrows(SysException.class,
            () -> Libc.open("/nonexistent", Libc.O_RDONLY | Libc.O_CLOEXEC));
        assertEquals("open(/nonexistent): ENOENT (2)", e.getMessage());
        assertEquals("open(/nonexistent)", e.call());
        assertEquals(Errno.ENOENT, e.errno());
    }

    @Test
    void shouldNameTheIoctlRequestWhenIoctlFails() {
        final int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        try {
            final SysException e = assertThrows(SysException.class,
                () -> Libc.ioctl(fd, Kvm.KVM_GET_API_VERSION, 0L, "KVM_GET_API_VERSION"));
            assertEquals("ioctl(KVM_GET_API_VERSION): ENOTTY (25)", e.getMessage());
            assertEquals(Errno.ENOTTY, e.errno());
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void shouldReportEbadfWhenClosingAClosedDescriptor() {
        final int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        Libc.close(fd);
        final SysException e = assertThrows(SysException.class, () -> Libc.close(fd));
        assertEquals("close(" + fd + "): EBADF (9)", e.getMessage());
        Libc.closeQuietly(fd);
        Libc.closeQuietly(-1);
    }

    @Test
    void shouldUseAPlaceholderNameForAnUnknownErrno() {
        assertEquals("x: E?41 (41)", new SysException("x", 41).getMessage());
        assertEquals("y: EAGAIN (11)", SysException.fromRaw("y", -11).getMessage());
    }
}
