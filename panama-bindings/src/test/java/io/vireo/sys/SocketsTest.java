package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** UNIX sockets with SCM_RIGHTS on real descriptors. */
class SocketsTest {

    @Test
    void shouldPassEventfdsThatStillWorkWhenSentWithSendmsg() {
        final int[] pair = Sockets.socketPair();
        final int a = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        final int b = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        final int[] got = new int[3];
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment buf = arena.allocate(16, 8);
            buf.set(JAVA_LONG, 0, 0x1122334455667788L);
            assertEquals(8, Sockets.sendmsgRaw(pair[0], buf, 8, new int[] {a, b}));
            final MemorySegment in = arena.allocate(16, 8);
            assertEquals(8, Sockets.recvmsgRaw(pair[1], in, 16, got));
            assertEquals(0x1122334455667788L, in.get(JAVA_LONG, 0));
            assertTrue(got[0] >= 0 && got[1] >= 0, "two fds received");
            assertEquals(-1, got[2]);
            assertNotEquals(a, got[0]);
            buf.set(JAVA_LONG, 0, 5);
            assertEquals(8, Libc.write(got[0], buf, 8));
            assertEquals(8, Libc.read(a, in, 8));
            assertEquals(5, in.get(JAVA_LONG, 0));
            assertEquals(Libc.FD_CLOEXEC, Libc.fcntl(got[1], Libc.F_GETFD, 0) & Libc.FD_CLOEXEC);
        } finally {
            for (final int fd : new int[] {pair[0], pair[1], a, b, got[0], got[1]}) {
                Libc.closeQuietly(fd);
            }
        }
    }

    @Test
    void shouldKeepOnlyAsManyFdsAsTheArrayHoldsAndCloseTheRest() {
        final int[] pair = Sockets.socketPair();
        final int[] sent = new int[4];
        final int[] got = new int[2];
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < sent.length; i++) {
                sent[i] = Libc.eventfd(0, Libc.EFD_CLOEXEC);
            }
            final MemorySegment buf = arena.allocate(8, 8);
            assertEquals(8, Sockets.sendmsgRaw(pair[0], buf, 8, sent));
            assertEquals(8, Sockets.recvmsgRaw(pair[1], buf, 8, got));
            assertTrue(got[0] >= 0 && got[1] >= 0);
        } finally {
            for (final int fd : new int[] {pair[0], pair[1], sent[0], sent[1], sent[2], sent[3], got[0], got[1]}) {
                Libc.closeQuietly(fd);
            }
        }
    }

    @Test
    void shouldAcceptAConnectionOnABoundPathAndSeeEndOfFileWhenThePeerCloses(@TempDir final Path dir) {
        final String path = dir.resolve("s.sock").toString();
        final int listener = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        final int client = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        int server = -1;
        try (Arena arena = Arena.ofConfined()) {
            Sockets.bindUnix(listener, path);
            Sockets.listen(listener, 1);
            assertTrue(Files.exists(Path.of(path)));
            Sockets.connectUnix(client, path);
            server = Sockets.accept4Raw(listener, Sockets.SOCK_CLOEXEC);
            assertTrue(server >= 0, "accept4: " + server);
            Libc.close(client);
            final MemorySegment buf = arena.allocate(8, 8);
            assertEquals(0, Sockets.recvmsgRaw(server, buf, 8, new int[1]));
            final int second = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
            final SysException e = assertThrows(SysException.class, () -> Sockets.bindUnix(second, path));
            Libc.close(second);
            assertEquals(Errno.EADDRINUSE, e.errno());
            assertThrows(IllegalArgumentException.class, () -> Sockets.bindUnix(listener, "x".repeat(108)));
        } finally {
            Libc.closeQuietly(listener);
            Libc.closeQuietly(server);
        }
    }
}
