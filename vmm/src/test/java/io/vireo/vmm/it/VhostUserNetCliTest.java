package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.vireo.vmm.it.VhostUserBlkCliTest.assertOneLineError;

/** {@code vireo vhost-user-net} refuses what it cannot serve with one line on stderr and status 2. */
class VhostUserNetCliTest {
    @Test
    void shouldRefuseABadTapBadLoopbackOptionsNoBackEndAndAMissingDirectory(@TempDir Path dir) {
        String sock = dir.resolve("n.sock").toString();
        assertOneLineError(VireoProcess.run("vhost-user-net", "--socket", sock, "--tap", "a/b"), "--tap a/b",
            "tap name");
        assertOneLineError(VireoProcess.run("vhost-user-net", "--socket", sock, "--tap", "t0,queues=0"), "--tap t0",
            "queues");
        assertOneLineError(VireoProcess.run("vhost-user-net", "--socket", sock, "--loopback", "colour=blue"),
            "--loopback", "unknown option 'colour'");
        assertOneLineError(VireoProcess.run("vhost-user-net", "--socket", sock), "--tap", "--loopback");
        assertOneLineError(VireoProcess.run("vhost-user-net", "--socket", sock, "--tap", "t0", "--loopback"),
            "not both");
        assertOneLineError(VireoProcess.run("vhost-user-net", "--socket", dir.resolve("no/dir/n.sock").toString(),
            "--loopback"), "--socket", "does not exist");
    }
}
