package io.vireo.vmm.api;

import io.vireo.vmm.machine.DeviceControl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The socket's life: owner-only from the start, stale sockets replaced, live ones and other files refused. */
class ApiServerTest {
    @TempDir
    Path dir;

    private static final ApiTarget NOTHING = new ApiTarget() {
        @Override
        public DeviceControl control() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, Object> config() {
            return Map.of();
        }

        @Override
        public Map<String, Object> counters() {
            return Map.of();
        }

        @Override
        public void shutdown() {
        }
    };

    @Test
    void shouldCreateAnOwnerOnlySocketAndRemoveItAtClose() throws Exception {
        Path socket = dir.resolve("a.sock");
        try (ApiServer server = ApiServer.start(socket, NOTHING)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket,
                LinkOption.NOFOLLOW_LINKS)));
            try (ApiClient c = ApiClient.of(socket)) {
                ApiClient.Reply r = c.get("vmm.ping");
                assertEquals(200, r.status(), r.body());
                assertTrue(r.body().contains("\"pid\" : " + ProcessHandle.current().pid()), r.body());
            }
            try (var files = Files.list(dir)) {
                assertEquals(1, files.count(), "no staging directory is left behind");
            }
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void shouldReplaceAStaleSocketAndRefuseALiveOne() throws Exception {
        Path socket = dir.resolve("b.sock");
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(socket));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ApiServer.start(socket, NOTHING));
            assertEquals(socket + ": another process is listening on it", e.getMessage());
        }
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "closing a listener leaves its socket file");
        try (ApiServer server = ApiServer.start(socket, NOTHING); ApiClient c = ApiClient.of(socket)) {
            assertEquals(200, c.get("vmm.ping").status());
        }
    }

    @Test
    void shouldRefuseAPathThatCannotBeASocketInOneSentence() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertEquals(file + ": exists and is not a socket", assertThrows(IllegalArgumentException.class,
            () -> ApiServer.checkPath(file)).getMessage());
        Path nodir = dir.resolve("no/such.sock");
        assertEquals(nodir + ": directory " + nodir.getParent() + " does not exist",
            assertThrows(IllegalArgumentException.class, () -> ApiServer.checkPath(nodir)).getMessage());
        Path longPath = dir.resolve("x".repeat(100));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ApiServer.checkPath(longPath)).getMessage()
            .endsWith("the path is too long for a Unix socket (at most 79 bytes here)"));
    }
}
