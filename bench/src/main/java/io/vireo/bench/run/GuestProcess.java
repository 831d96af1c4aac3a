package io.vireo.bench.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A VMM process running the test guest: its console lines go to a {@link Listener} as they come (the timed phase
 * starts at the guest's {@code blk: bench} header and ends at its {@code result:} line), its stderr is kept for the
 * error message, and it is killed if it outlives its time.
 */
final class GuestProcess {
    /** What the guest prints right before its timed phase (and its 0xB0 mark). */
    static final String HEADER = "blk: bench ";
    /**
     * The guest's first line after its timed phase (and its 0xB1 mark): the latency histogram. Sampled here, not at
     * the result line, because the guest powers off right after that one.
     */
    static final String END = "blk: hist ";
    /** The guest's workload result line, after its timed phase (a second, final result line follows). */
    static final String RESULT = "result: {\"op\":\"bench\"";

    interface Listener {
        /** Every console line, in order, on the reading thread; {@code process} is the one started. */
        void line(ProcessHandle process, String line) throws IOException;
    }

    private GuestProcess() {
    }

    /**
     * Runs {@code command} to its end (at most {@code timeoutSeconds}); returns its console output. Throws
     * {@link RunFailure} when it fails or times out, with its output's tail.
     */
    static String run(List<String> command, Map<String, String> env, long timeoutSeconds, Listener listener)
        throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        StringBuilder err = new StringBuilder();
        Thread errReader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = p.errorReader(StandardCharsets.UTF_8)) {
                for (String l; (l = r.readLine()) != null; ) {
                    synchronized (err) {
                        err.append(l).append('\n');
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        Thread killer = Thread.ofVirtual().start(() -> {
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        });
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                out.append(l).append('\n');
                listener.line(p.toHandle(), l);
            }
        } finally {
            if (p.isAlive() && !p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            killer.interrupt();
        }
        int status = p.waitFor();
        errReader.join(5000);
        String all = out + err.toString();
        if (!out.toString().contains(RESULT)) {
            throw new RunFailure("exit status " + status + ", no result line", command, all);
        }
        return out.toString();
    }

    /** A run that did not produce a result. */
    static final class RunFailure extends IOException {
        RunFailure(String what, List<String> command, String output) {
            super(what + ": " + String.join(" ", command) + "\n" + tail(output));
        }

        private static String tail(String s) {
            String[] lines = s.split("\n");
            int from = Math.max(0, lines.length - 25);
            return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
        }
    }

    /** The guest's result JSON from its {@code result:} line. */
    static Map<String, Object> result(String line) {
        return Json.object(line.substring(line.indexOf('{')));
    }
}
