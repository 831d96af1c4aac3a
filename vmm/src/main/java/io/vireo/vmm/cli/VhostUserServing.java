package io.vireo.vmm.cli;

import io.vireo.vmm.vhostuser.VhostUserDaemon;

import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Function;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * What every {@code vireo vhost-user-*} command does around its daemon: checks the stats file, starts the daemon
 * (a one-line refusal becomes status 2), serves until SIGTERM or SIGINT, closes it (the session's rings drained) and
 * prints {@code --stats} / writes {@code --stats-json}.
 */
final class VhostUserServing {
    private VhostUserServing() {
    }

    /**
     * @param command the subcommand's name, for the "serving" line
     * @param start   starts the daemon, given where its log lines go; IllegalArgumentException = bad input
     * @return 0
     */
    static int serve(String command, Function<Consumer<String>, VhostUserDaemon> start, boolean stats,
                     Path statsJson, PrintStream err) throws InterruptedException {
        if (statsJson != null) {
            StatsJson.checkWritable(statsJson);
        }
        VhostUserDaemon daemon;
        try {
            daemon = start.apply(line -> err.println("vireo: " + line));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        err.println("vireo: " + command + ": serving " + daemon.describe());
        try {
            stop.await();
        } finally {
            daemon.close();
            report(daemon, stats, statsJson, err);
        }
        return 0;
    }

    private static void report(VhostUserDaemon daemon, boolean stats, Path statsJson, PrintStream err) {
        Map<String, Map<String, Long>> sources = new LinkedHashMap<>();
        for (String source : daemon.sources()) {
            Map<String, Long> counters = new LinkedHashMap<>();
            daemon.report(source, counters::put);
            sources.put(source, counters);
        }
        if (stats) {
            StringBuilder sb = new StringBuilder();
            sb.append(StatsReport.PREFIX).append("total over ").append(daemon.uptimeNs() / 1_000_000).append(" ms\n");
            sources.forEach((source, counters) -> {
                sb.append(StatsReport.PREFIX).append("  dataplane ").append(source).append(':');
                counters.forEach((n, v) -> sb.append(' ').append(n).append('=').append(v));
                sb.append('\n');
            });
            err.print(sb);
        }
        if (statsJson != null) {
            StringBuilder sb = new StringBuilder("{\"wall_ns\":").append(daemon.uptimeNs()).append(",\"dataplane\":{");
            String sep = "";
            for (Map.Entry<String, Map<String, Long>> s : sources.entrySet()) {
                sb.append(sep);
                StatsJson.string(sb, s.getKey());
                sb.append(":{");
                String sep2 = "";
                for (Map.Entry<String, Long> c : s.getValue().entrySet()) {
                    sb.append(sep2);
                    StatsJson.string(sb, c.getKey());
                    sb.append(':').append(c.getValue());
                    sep2 = ",";
                }
                sb.append('}');
                sep = ",";
            }
            sb.append("}}\n");
            try {
                StatsJson.write(statsJson, sb.toString());
            } catch (IOException | RuntimeException e) {
                err.println("vireo: --stats-json " + statsJson + ": cannot write (" + e + ")");
            }
        }
    }
}
