package io.vireo.vmm.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace of a test's own, with one tap in it whose host side has an address that exists only there: the
 * test's VMM (run through {@link #command}) attaches to the tap, the namespace's kernel answers ARP and ICMP echo as
 * the peer. {@link #close} kills whatever still runs in the namespace and deletes it (the tap goes with it); use it in
 * try-with-resources so a failing test removes it too. Namespaces a killed test JVM left behind (named after its pid)
 * are removed by the next {@link #create}.
 */
final class NetNamespace implements AutoCloseable {
    private static final String PREFIX = "vireo-t-";
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Path IP = Files.isExecutable(Path.of("/usr/sbin/ip")) ? Path.of("/usr/sbin/ip")
        : Path.of("/sbin/ip");

    private final String name;
    private boolean closed;

    private NetNamespace(String name) {
        this.name = name;
    }

    /** Why namespaces cannot be made here, or null when they can (root, iproute2, /dev/net/tun). */
    static String unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "skipped: network namespaces and taps need root (user " + System.getProperty("user.name") + ")";
        }
        if (!Files.isExecutable(IP)) {
            return "skipped: " + IP + " is missing (apt-get install iproute2)";
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "skipped: /dev/net/tun is missing (modprobe tun)";
        }
        return null;
    }

    /** A new namespace with tap {@code tap} up, the host side at {@code hostCidr} (e.g. 10.77.0.1/24). */
    static NetNamespace create(String tap, String hostCidr) {
        removeStale();
        NetNamespace ns = new NetNamespace(PREFIX + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
        try {
            ip("netns", "add", ns.name);
            ns.run(IP.toString(), "link", "set", "lo", "up");
            ns.run(IP.toString(), "tuntap", "add", "dev", tap, "mode", "tap");
            ns.run(IP.toString(), "addr", "add", hostCidr, "dev", tap);
            ns.run(IP.toString(), "link", "set", tap, "up");
            // Quiet link: no IPv6 router solicitations or MLD reports for the guest to skip.
            ns.run("/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            return ns;
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    String name() {
        return name;
    }

    /** {@code cmd} run inside the namespace (ip netns exec). */
    List<String> command(List<String> cmd) {
        List<String> all = new ArrayList<>(List.of(IP.toString(), "netns", "exec", name));
        all.addAll(cmd);
        return all;
    }

    /** Runs cmd inside the namespace; fails on a non-zero status. */
    String run(String... cmd) {
        return exec(command(List.of(cmd)));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        delete(name);
    }

    private static void delete(String name) {
        for (int round = 0; round < 50; round++) {
            String pids = execQuiet(List.of(IP.toString(), "netns", "pids", name));
            if (pids == null || pids.isBlank()) {
                break;
            }
            for (String pid : pids.trim().split("\\s+")) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
            sleep(100);
        }
        execQuiet(List.of(IP.toString(), "netns", "del", name));
    }

    /** Namespaces of test JVMs that are gone (killed before their close ran). */
    private static void removeStale() {
        String list = execQuiet(List.of(IP.toString(), "netns", "list"));
        if (list == null) {
            return;
        }
        for (String line : list.lines().toList()) {
            String ns = line.split("\\s+")[0];
            if (!ns.startsWith(PREFIX)) {
                continue;
            }
            String[] parts = ns.substring(PREFIX.length()).split("-");
            try {
                long pid = Long.parseLong(parts[0]);
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty()) {
                    delete(ns);
                }
            } catch (NumberFormatException e) {
                // not one of ours
            }
        }
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of(IP.toString()));
        cmd.addAll(List.of(args));
        exec(cmd);
    }

    private static String exec(List<String> cmd) {
        try {
            Path out = Files.createTempFile("vireo-netns", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("timed out: " + cmd);
                }
                String text = Files.readString(out, StandardCharsets.UTF_8);
                if (p.exitValue() != 0) {
                    throw new IllegalStateException(cmd + " exited " + p.exitValue() + ": " + text.strip());
                }
                return text;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String execQuiet(List<String> cmd) {
        try {
            return exec(cmd);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
