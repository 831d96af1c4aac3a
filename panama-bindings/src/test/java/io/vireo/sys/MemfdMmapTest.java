package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

/** memfd + MAP_SHARED, the way guest RAM is set up. */
class MemfdMmapTest {

    private static final long SIZE = 2 * 1024 * 1024;
    private static final int RW = Libc.PROT_READ | Libc.PROT_WRITE;

    @Test
    void shouldSeeWritesThroughTheOtherMappingWhenTwoMappingsShareAMemfd() {
        final int fd = Libc.memfdCreate("vireo-test", Libc.MFD_CLOEXEC);
        try {
            Libc.ftruncate(fd, SIZE);
            final MemorySegment a = Libc.mmap(0, SIZE, RW, Libc.MAP_SHARED, fd, 0);
            final MemorySegment b = Libc.mmap(0, SIZE, RW, Libc.MAP_SHARED | Libc.MAP_NORESERVE, fd, 0);
            try {
                assertEquals(SIZE, a.byteSize());
                assertTrue(a.address() != b.address(), "two distinct mappings");
                a.set(JAVA_LONG, 4096, 0xfeed_face_cafe_beefL);
                b.set(JAVA_LONG, SIZE - 8, 42);
                assertEquals(0xfeed_face_cafe_beefL, b.get(JAVA_LONG, 4096));
                assertEquals(42, a.get(JAVA_LONG, SIZE - 8));

                // Punching a hole gives the page back; both mappings then read zeros there.
                Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, 4096, 4096);
                assertEquals(0, b.get(JAVA_LONG, 4096));
                assertEquals(0, a.get(JAVA_LONG, 4096));
            } finally {
                Libc.munmap(a);
                Libc.munmap(b);
            }
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void shouldReadWhatPwriteWroteAtAnOffset() {
        final int fd = Libc.memfdCreate("vireo-pread", Libc.MFD_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            Libc.ftruncate(fd, 8192);
            final MemorySegment buf = arena.allocate(8, 8);
            buf.set(JAVA_LONG, 0, 7);
            assertEquals(8, Libc.pwrite(fd, buf, 8, 5000));
            buf.set(JAVA_LONG, 0, 0);
            assertEquals(8, Libc.pread(fd, buf, 8, 5000));
            assertEquals(7, buf.get(JAVA_LONG, 0));
            assertEquals(8, Libc.preadRaw(fd, buf, 8, 0));
            assertEquals(0, buf.get(JAVA_LONG, 0));
            Libc.fsync(fd);
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void shouldSayWhatWasAskedWhenMmapFails() {
        final SysException e = assertThrows(SysException.class,
            () -> Libc.mmap(0, 0, RW, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0));
        assertEquals("mmap(length=0, prot=3, flags=0x22, fd=-1, offset=0): EINVAL (22)", e.getMessage());
    }
}
