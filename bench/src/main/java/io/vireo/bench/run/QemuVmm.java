package io.vireo.bench.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * QEMU as one would set it up for speed: {@code -enable-kvm}, virtio-blk-pci on an iothread over {@code null-co} or
 * the same image file with {@code aio=io_uring}, the same guest binary (QEMU boots it by multiboot). Exits: QMP
 * {@code query-stats} of every vCPU's KVM {@code exits} at the guest's header and result lines; CPU time by thread
 * name ({@code -name …,debug-threads=on}: {@code CPU 0/KVM}, {@code IO io0}).
 */
public final class QemuVmm implements Vmm {
    public static final String BINARY = "qemu-system-x86_64";
    /** QEMU's minimal firmware (Debian's qemu-system-data); it boots the guest by multiboot like SeaBIOS. */
    static final Path QBOOT = Path.of("/usr/share/qemu/qboot.rom");
    private final Path guest;

    public QemuVmm(Path guest) {
        this.guest = guest;
    }

    @Override
    public String name() {
        return "qemu";
    }

    /** The QEMU binary on PATH, or null. */
    public static Path find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, BINARY);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    static String blockdev(Job job, Path image) {
        return switch (job.backend()) {
            case NULL -> "driver=null-co,node-name=n0,size=1073741824";
            case CACHED -> "driver=file,filename=" + image + ",node-name=n0,cache.direct=off,aio=io_uring";
            case DIRECT -> "driver=file,filename=" + image + ",node-name=n0,cache.direct=on,aio=io_uring";
        };
    }

    @Override
    public Measurement run(Job job, RunSpec spec) throws IOException, InterruptedException {
        Path sock = spec.workDir().resolve("qmp.sock");
        Files.deleteIfExists(sock);
        List<String> cmd = new ArrayList<>(List.of(BINARY, "-name", "vireo-bench,debug-threads=on", "-enable-kvm",
            "-cpu", "host,-arch-capabilities", "-m", "512M", "-smp", "1", "-nographic", "-no-reboot", "-nodefaults",
            "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-qmp", "unix:" + sock + ",server=on,wait=off", "-object", "iothread,id=io0",
            "-blockdev", blockdev(job, spec.image()), "-device", "virtio-blk-pci,drive=n0,iothread=io0",
            "-kernel", guest.toString(), "-append", job.guestCmdline(spec.seconds(), spec.quick())
        ));
        if (Files.isRegularFile(QBOOT)) {
            // qboot instead of SeaBIOS: on a host where KVM emulates CPL0 (PVM) SeaBIOS takes seconds to boot; the
            // firmware is gone before the guest's timed phase either way.
            cmd.addAll(1, List.of("-bios", QBOOT.toString()));
        }
        Phase phase = new Phase(sock);
        try {
            GuestProcess.run(cmd, Map.of(), spec.seconds() + 150L, phase);
        } finally {
            phase.close();
        }
        if (phase.begin == null || phase.end == null || phase.result == null) {
            throw new IOException("qemu: no timed phase seen: " + String.join(" ", cmd));
        }
        return Measurement.of(phase.result, phase.exitsEnd - phase.exitsBegin, phase.end.minus(phase.begin));
    }

    private static final class Phase implements GuestProcess.Listener {
        private final Path sock;
        private Qmp qmp;
        private long pid = -1;
        ThreadCpu begin;
        ThreadCpu end;
        double exitsBegin;
        double exitsEnd;
        Map<String, Object> result;

        Phase(Path sock) {
            this.sock = sock;
        }

        @Override
        public void line(ProcessHandle process, String line) throws IOException {
            if (qmp == null) {
                pid = process.pid();
                qmp = new Qmp(sock);
            }
            if (line.startsWith(GuestProcess.HEADER)) {
                exitsBegin = qmp.exits();
                begin = ThreadCpu.sample(pid, ThreadCpu.QEMU);
            } else if (line.startsWith(GuestProcess.END) && begin != null && end == null) {
                exitsEnd = qmp.exits();
                end = ThreadCpu.sample(pid, ThreadCpu.QEMU);
            } else if (line.startsWith(GuestProcess.RESULT) && end != null) {
                result = GuestProcess.result(line);
            }
        }

        void close() {
            if (qmp != null) {
                qmp.close();
            }
        }
    }

    /** QEMU's monitor protocol, just enough for {@code query-stats}. */
    private static final class Qmp {
        private final SocketChannel ch;
        private final BufferedReader in;
        private final Writer out;

        Qmp(Path sock) throws IOException {
            SocketChannel c = null;
            for (int i = 0; c == null; i++) {
                try {
                    c = SocketChannel.open(StandardProtocolFamily.UNIX);
                    c.connect(UnixDomainSocketAddress.of(sock));
                } catch (IOException e) {
                    c = null;
                    if (i > 200) {
                        throw new IOException("qemu: QMP socket " + sock + ": " + e.getMessage(), e);
                    }
                    sleep();
                }
            }
            ch = c;
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            out = Channels.newWriter(ch, StandardCharsets.UTF_8);
            in.readLine();
            command("{\"execute\":\"qmp_capabilities\"}");
        }

        private static void sleep() throws IOException {
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        Map<String, Object> command(String json) throws IOException {
            out.write(json + "\n");
            out.flush();
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new IOException("qemu: QMP closed");
                }
                Map<String, Object> r = Json.object(line);
                if (r.containsKey("error")) {
                    throw new IOException("qemu: QMP " + json + ": " + r.get("error"));
                }
                if (r.containsKey("return")) {
                    return r;
                }
            }
        }

        /** KVM's {@code exits}, summed over the vCPUs. */
        double exits() throws IOException {
            Map<String, Object> r = command("{\"execute\":\"query-stats\",\"arguments\":{\"target\":\"vcpu\","
                + "\"providers\":[{\"provider\":\"kvm\",\"names\":[\"exits\"]}]}}");
            double sum = 0;
            for (Object v : (List<?>) r.get("return")) {
                for (Object s : (List<?>) ((Map<?, ?>) v).get("stats")) {
                    Map<?, ?> stat = (Map<?, ?>) s;
                    if ("exits".equals(stat.get("name"))) {
                        sum += (Double) stat.get("value");
                    }
                }
            }
            return sum;
        }

        void close() {
            try {
                ch.close();
            } catch (IOException e) {
                // gone
            }
        }
    }
}
