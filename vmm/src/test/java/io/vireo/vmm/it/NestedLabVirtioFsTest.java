package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two shared directories as virtio-fs mounts ({@code --fs}), each served by its own {@code virtiofsd} (QEMU 7.2's,
 * {@code /usr/lib/qemu/virtiofsd}) over vhost-user, mounted by Debian's virtiofs driver in Linux on Vireo in the nested
 * lab. The directories live in L1 (Vireo's host there): L1 writes a file before the VM starts and checks the guest's
 * changes after it stopped. About a minute.
 */
class NestedLabVirtioFsTest {
    /** Runs in L1: two directories, two virtiofsd, Vireo with two --fs, then what the host sees. */
    static final String L1_SCRIPT = """
        set -e
        d=$(mktemp -d /run/vfs.XXXXXX)
        mkdir -p "$d/a" "$d/b"
        head -c 3000000 /dev/urandom > "$d/a/host.bin"
        echo "host: host.bin $(sha256sum < "$d/a/host.bin" | cut -d' ' -f1)"
        echo keep > "$d/a/keep.txt"
        for x in a b; do
            /usr/lib/qemu/virtiofsd --socket-path="$d/$x.sock" -o source="$d/$x" -o cache=none \\
                -o sandbox=chroot > "$d/$x.log" 2>&1 &
        done
        for i in $(seq 100); do [ -S "$d/a.sock" ] && [ -S "$d/b.sock" ] && break; sleep 0.1; done
        s=0
        ./vireo run --guest linux --fs "tag=hostdir,socket=$d/a.sock" --fs "tag=scratch,socket=$d/b.sock" \\
            -- sh -c "$GUEST_SCRIPT" || s=$?
        echo "host: vireo exit $s"
        echo "host: moved $(sha256sum < "$d/b/dir/moved.bin" | cut -d' ' -f1)"
        echo "host: a holds $(ls "$d/a" | sort | tr '\\n' ' ')"
        echo "host: b holds $(ls "$d/b" | sort | tr '\\n' ' ')"
        [ -d "$d/b/dir" ] && echo "host: b/dir is a directory"
        cat "$d/a.log" "$d/b.log" >&2
        exit $s
        """;

    /** Runs in the guest (L2): mount both, read the host's file, write, mkdir, mv, rm, ls. */
    static final String GUEST_SCRIPT = """
        set -e
        mkdir -p /mnt/a /mnt/b
        mount -t virtiofs hostdir /mnt/a
        mount -t virtiofs scratch /mnt/b
        echo "guest: host.bin $(sha256sum < /mnt/a/host.bin | cut -d' ' -f1)"
        cat /mnt/a/keep.txt
        head -c 2000000 /dev/urandom > /mnt/b/guest.bin
        echo "guest: guest.bin $(sha256sum < /mnt/b/guest.bin | cut -d' ' -f1)"
        mkdir /mnt/b/dir
        mv /mnt/b/guest.bin /mnt/b/dir/moved.bin
        echo "guest: b/dir holds $(ls /mnt/b/dir)"
        echo temp > /mnt/a/temp.txt
        rm /mnt/a/temp.txt
        echo "guest: a holds $(ls /mnt/a | sort | tr '\\n' ' ')"
        sync
        umount /mnt/a
        umount /mnt/b
        echo "guest: done"
        """;

    @Test
    void shouldShareTwoHostDirectoriesThroughTwoVirtiofsd(TestReporter reporter) {
        NestedLab.needLab();
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(
            java.nio.file.Path.of("/usr/lib/qemu/virtiofsd")), "skipped: /usr/lib/qemu/virtiofsd is missing "
            + "(Debian's qemu-system-common; scripts/setup installs it)");
        VireoProcess.Result r = NestedLab.run(reporter, List.of("bash", "-c", L1_SCRIPT), NestedLab.TIMEOUT_S,
            Map.of("GUEST_SCRIPT", GUEST_SCRIPT)).result();
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        String out = r.stdout();
        // A file written on the host is read in the guest, byte for byte.
        assertEquals(field(out, "host: host.bin (\\w{64})", r), field(out, "guest: host.bin (\\w{64})", r));
        assertTrue(out.contains("keep\n"), () -> NestedLab.show(r));
        // A file written in the guest (then moved into a new directory) is on the host with the same sha256.
        assertEquals(field(out, "guest: guest.bin (\\w{64})", r), field(out, "host: moved (\\w{64})", r));
        assertTrue(out.contains("guest: b/dir holds moved.bin"), () -> NestedLab.show(r));
        assertTrue(out.contains("host: b/dir is a directory"), () -> NestedLab.show(r));
        // rm removed it on both sides; ls lists the same names in the guest and on the host.
        assertTrue(out.contains("guest: a holds host.bin keep.txt \n"), () -> NestedLab.show(r));
        assertTrue(out.contains("host: a holds host.bin keep.txt \n"), () -> NestedLab.show(r));
        assertTrue(out.contains("host: b holds dir \n"), () -> NestedLab.show(r));
        assertTrue(out.contains("guest: done"), () -> NestedLab.show(r));
    }

    private static String field(String out, String regex, VireoProcess.Result r) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertTrue(m.find(), () -> regex + " in " + NestedLab.show(r));
        return m.group(1);
    }
}
