package io.vireo.dataplane.virtio.device.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A network namespace a test creates for a tap and the host side of its traffic, with addresses that exist only inside
 * it; {@link #close()} deletes it (and so the tap moved into it), also after a failure. Skips the test where there is
 * no root, no {@code ip} or no {@code /dev/net/tun}.
 */
final class NetNamespace implements AutoCloseable {
    final String name;

    private NetNamespace(String name) {
        this.name = name;
    }

    static NetNamespace create(String prefix) throws IOException, InterruptedException {
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
            "no ip(8)");
        assumeTrue("root".equals(System.getProperty("user.name")), "tap and network namespaces need root");
        String name = prefix + "-" + ProcessHandle.current().pid();
        run("ip", "netns", "del", name); // left over by a killed run, if any
        Result r = run("ip", "netns", "add", name);
        assumeTrue(r.status == 0, "cannot create a network namespace: " + r.output);
        return new NetNamespace(name);
    }

    /** Moves host interface {@code dev} into the namespace, gives it {@code cidr} and brings it up. */
    void adopt(String dev, String cidr) throws IOException, InterruptedException {
        check(run("ip", "link", "set", dev, "netns", name));
        check(run("ip", "-n", name, "addr", "add", cidr, "dev", dev));
        check(run("ip", "-n", name, "link", "set", dev, "up"));
        check(run("ip", "-n", name, "link", "set", "lo", "up"));
    }

    /** Runs {@code command} inside the namespace and waits. */
    Result exec(String... command) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(command));
        return run(all.toArray(new String[0]));
    }

    /** Starts {@code command} inside the namespace. */
    Process start(String... command) throws IOException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(command));
        return new ProcessBuilder(all).redirectErrorStream(true).start();
    }

    /** The MAC of {@code dev} in the namespace, as six bytes. */
    byte[] mac(String dev) throws IOException, InterruptedException {
        Result r = check(exec("cat", "/sys/class/net/" + dev + "/address"));
        return java.util.HexFormat.ofDelimiter(":").parseHex(r.output.trim());
    }

    record Result(int status, String output) {
    }

    static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static Result check(Result r) {
        if (r.status != 0) {
            throw new IllegalStateException("command failed (" + r.status + "): " + r.output);
        }
        return r;
    }

    @Override
    public void close() throws IOException {
        try {
            run("ip", "netns", "del", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted deleting network namespace " + name, e);
        }
    }
}
