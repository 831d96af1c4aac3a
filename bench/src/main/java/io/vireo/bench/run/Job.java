package io.vireo.bench.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One benchmark job: a test-guest workload on one disk back end, completions polled or interrupt-driven. Its name
 * ({@code randread-4k-qd1-null-poll}) is what {@code --jobs} selects and what the table, the JSON and the flame graph
 * files are keyed by.
 *
 * @param rw         the guest's {@code rw=} (randread, randwrite, read)
 * @param blockBytes bytes per request
 * @param queueDepth requests in flight
 * @param backend    where the disk's data goes
 * @param irq        interrupt-driven completions (guest {@code irq=1}) instead of polling the used ring
 */
public record Job(String rw, int blockBytes, int queueDepth, Backend backend, boolean irq) {

    /** A disk back end, the same on every VMM. */
    public enum Backend {
        /** Completes at once, stores nothing: Vireo {@code null:SIZE}, QEMU {@code null-co}. */
        NULL,
        /** A disk image through the host page cache (buffered; io_uring on both VMMs). */
        CACHED,
        /** The same image with O_DIRECT: the host's disk. */
        DIRECT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public String name() {
        String kind = rw.equals("read") ? "seqread" : rw;
        return kind + "-" + (blockBytes / 1024) + "k-qd" + queueDepth + "-" + backend.label() + "-"
            + (irq ? "irq" : "poll");
    }

    /**
     * Untimed requests before the timed phase: a few tenths of a second at this job's rate on a busy two-core host
     * (rates grow with the queue depth), enough for the JIT to compile the duty cycle and for the page cache to fill.
     */
    public int warmupRequests(boolean quick) {
        int perSlot = switch (backend) {
            case NULL -> 2_000;
            case CACHED -> 1_000;
            case DIRECT -> 150;
        };
        int n = perSlot * queueDepth / Math.max(1, blockBytes / 16384);
        return quick ? n / 2 : n;
    }

    /**
     * The test guest's command line: the same binary and words on every VMM. {@code loops=}: after its result the
     * guest spins a few tenths of a second more before it powers off, so the VMM's threads are still there to be
     * read when the benchmark sees the end of the timed phase on the console.
     */
    public String guestCmdline(int seconds, boolean quick) {
        return "blk=bench rw=" + rw + " bs=" + blockBytes + " qd=" + queueDepth + " secs=" + seconds + " warmup="
            + warmupRequests(quick) + " seed=7" + (irq ? " irq=1" : "") + " loops=1500000000";
    }

    private static Job of(String rw, int kib, int qd, Backend backend, boolean irq) {
        return new Job(rw, kib * 1024, qd, backend, irq);
    }

    /** Every job {@code --jobs all} runs: the workloads on each back end, polled and interrupt-driven. */
    public static List<Job> all() {
        List<Job> jobs = new ArrayList<>();
        for (Backend b : Backend.values()) {
            for (boolean irq : new boolean[] {false, true}) {
                jobs.add(of("randread", 4, 1, b, irq));
                jobs.add(of("randread", 4, 32, b, irq));
                jobs.add(of("randwrite", 4, 32, b, irq));
                jobs.add(of("read", 128, 32, b, irq));
            }
        }
        return jobs;
    }

    /** The default set: every workload on each back end polled, plus QD 1 and QD 32 reads interrupt-driven. */
    public static List<Job> defaults() {
        List<Job> jobs = new ArrayList<>();
        for (Backend b : Backend.values()) {
            jobs.add(of("randread", 4, 1, b, false));
            jobs.add(of("randread", 4, 32, b, false));
            jobs.add(of("randwrite", 4, 32, b, false));
            jobs.add(of("read", 128, 32, b, false));
        }
        jobs.add(of("randread", 4, 1, Backend.NULL, true));
        jobs.add(of("randread", 4, 32, Backend.NULL, true));
        jobs.add(of("randread", 4, 1, Backend.CACHED, true));
        return jobs;
    }

    /** {@code --quick}: the data plane alone (null), polled and interrupt-driven, and one page-cached job. */
    public static List<Job> quick() {
        return List.of(of("randread", 4, 1, Backend.NULL, false), of("randread", 4, 32, Backend.NULL, false),
            of("randread", 4, 1, Backend.NULL, true), of("randread", 4, 32, Backend.CACHED, false));
    }

    /**
     * {@code --jobs LIST}: comma-separated names or globs ({@code *} any text), {@code all}, {@code default},
     * {@code quick}; in the order of {@link #all()}, each once. Throws with the offending word and the names.
     */
    public static List<Job> select(String list) {
        Map<String, Job> picked = new LinkedHashMap<>();
        for (String word : list.split(",")) {
            String w = word.trim();
            if (w.isEmpty()) {
                continue;
            }
            List<Job> set = switch (w) {
                case "all" -> all();
                case "default" -> defaults();
                case "quick" -> quick();
                default -> {
                    String regex = "\\Q" + w.replace("*", "\\E.*\\Q") + "\\E";
                    List<Job> m = all().stream().filter(j -> j.name().matches(regex)).toList();
                    if (m.isEmpty()) {
                        throw new IllegalArgumentException("--jobs: no job matches '" + w + "' (jobs: "
                            + String.join(", ", all().stream().map(Job::name).toList()) + ")");
                    }
                    yield m;
                }
            };
            set.forEach(j -> picked.put(j.name(), j));
        }
        if (picked.isEmpty()) {
            throw new IllegalArgumentException("--jobs: the list is empty");
        }
        List<Job> ordered = new ArrayList<>();
        for (Job j : all()) {
            if (picked.containsKey(j.name())) {
                ordered.add(j);
            }
        }
        return ordered;
    }
}
