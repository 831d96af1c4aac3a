package io.vireo.vmm.it;

import io.vireo.sys.Libc;
import io.vireo.sys.Sockets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vireo vhost-user-blk} refuses what it cannot serve with one line on stderr and status 2. */
class VhostUserBlkCliTest {
    static void assertOneLineError(VireoProcess.Result r, String... words) {
        assertEquals(2, r.status(), () -> "status; stderr:\n" + r.stderr());
        List<String> lines = r.stderrLines();
        assertEquals(1, lines.size(), () -> "exactly one line on stderr:\n" + r.stderr());
        String line = lines.get(0);
        assertTrue(line.startsWith("vireo: "), line);
        assertFalse(line.contains("Exception"), line);
        for (String w : words) {
            assertTrue(line.contains(w), () -> "'" + w + "' in: " + line);
        }
    }

    @Test
    void shouldRefuseAMissingDirectoryAMissingDiskABadOptionAndASocketInUse(@TempDir Path dir) {
        assertOneLineError(VireoProcess.run("vhost-user-blk", "--socket", dir.resolve("no/such/dir/s.sock")
            .toString(), "--disk", "null:1M"), "--socket", "does not exist");
        assertOneLineError(VireoProcess.run("vhost-user-blk", "--socket", dir.resolve("s.sock").toString(),
            "--disk", dir.resolve("missing.img").toString()), "--disk", "no such file");
        assertOneLineError(VireoProcess.run("vhost-user-blk", "--socket", dir.resolve("s.sock").toString(),
            "--disk", "null:1M,colour=blue"), "unknown option 'colour'");
        assertOneLineError(VireoProcess.run("vhost-user-blk", "--disk", "null:1M"), "--socket");
        Path busy = dir.resolve("busy.sock");
        int fd = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        try {
            Sockets.bindUnix(fd, busy.toString());
            Sockets.listen(fd, 1);
            assertOneLineError(VireoProcess.run("vhost-user-blk", "--socket", busy.toString(), "--disk", "null:1M"),
                "in use");
        } finally {
            Libc.closeQuietly(fd);
        }
    }
}
