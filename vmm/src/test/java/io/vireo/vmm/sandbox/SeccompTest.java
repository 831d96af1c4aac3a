package io.vireo.vmm.sandbox;

import io.vireo.sys.Errno;
import io.vireo.vmm.it.VireoProcess;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The VMM's seccomp filter (issue 18): in a child JVM (a filter is irreversible), every denied call returns EPERM
 * under {@code on} and its ordinary error (or success) under {@code off}, and the JVM goes on working; {@code vireo
 * run} under the default filter boots the test guest with a disk to its exit status.
 */
class SeccompTest {
    private static Map<String, String> probe(Sandbox.Mode mode) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        VireoProcess.Result r = VireoProcess.exec(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path"), SeccompProbe.class.getName(), mode.name()), Map.of(), 60);
        assertEquals(0, r.status(), "probe " + mode + ":\n" + r.stdout() + r.stderr());
        Map<String, String> out = new HashMap<>();
        for (String line : r.stdout().lines().toList()) {
            int sp = line.indexOf(' ');
            out.put(sp < 0 ? line : line.substring(0, sp), sp < 0 ? "" : line.substring(sp + 1));
        }
        return out;
    }

    @Test
    void shouldRefuseEveryDeniedCallWithEpermAndKeepTheJvmWorking() {
        Map<String, String> on = probe(Sandbox.Mode.ON);
        Map<String, String> off = probe(Sandbox.Mode.OFF);
        String eperm = Long.toString(-Errno.EPERM);
        int refused = 0;
        for (Map.Entry<String, String> e : on.entrySet()) {
            String call = e.getKey();
            if (call.equals("socket_unix") || call.equals("process") || call.equals("alive")) {
                continue;
            }
            assertEquals(eperm, e.getValue(), call + " under --seccomp=on");
            assertNotEquals(eperm, off.get(call), call + " without the filter fails otherwise (or succeeds): so the"
                + " EPERM came from the filter");
            refused++;
        }
        assertEquals(Sandbox.DENIED.size() + 3, refused, "every denied call was tried: " + on.keySet());
        assertEquals("ok", on.get("socket_unix"), "AF_UNIX sockets stay allowed");
        assertEquals("refused", on.get("process"), "no program can be started");
        assertEquals("ok", off.get("process"));
        assertTrue(on.containsKey("alive"), "threads, GC, guest RAM and files work under the filter");
        System.out.printf("seccomp: %d calls refused with EPERM under on, none under off; the JVM kept working%n",
            refused);
    }

    @Test
    void shouldRunTheTestGuestWithADiskUnderTheDefaultFilter() {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        VireoProcess.Result r = VireoProcess.run("run", "--cmdline", "exit=7", "--disk", "null:64M");
        assertEquals(7, r.status(), r.stderr());
        VireoProcess.Result log = VireoProcess.run("run", "--seccomp=log", "--cmdline", "exit=5");
        assertEquals(5, log.status(), log.stderr());
    }

    @Test
    void shouldRejectAnUnknownSeccompModeInOneLine() {
        VireoProcess.Result r = VireoProcess.run("run", "--seccomp=maybe");
        assertEquals(2, r.status());
        assertEquals(1, r.stderrLines().size(), r.stderr());
        assertTrue(r.stderr().contains("--seccomp"), r.stderr());
    }

}
