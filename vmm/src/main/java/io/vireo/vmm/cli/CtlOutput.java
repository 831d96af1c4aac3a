package io.vireo.vmm.cli;

import io.vireo.vmm.api.ApiClient;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What {@code vireo ctl} prints: the request bodies it sends, and the server's answers as JSON or as a table. */
final class CtlOutput {
    private CtlOutput() {
    }

    static String json(Map<String, Object> body) {
        try {
            return JSON.std.asString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object parse(String body) {
        try {
            return JSON.std.anyFrom(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** The server's sentence from an error reply, or what there is instead. */
    static String error(ApiClient.Reply reply) {
        if (parse(reply.body()) instanceof Map<?, ?> m && m.get("error") instanceof String s) {
            return s;
        }
        String b = reply.body().strip();
        return b.isEmpty() ? "(no error message)" : b.lines().findFirst().orElse(b);
    }

    /** A readable form of a successful reply to {@code command}. */
    static String table(String command, ApiClient.Reply reply) {
        Object body = reply.body().isBlank() ? null : parse(reply.body());
        return switch (command) {
            case "pause" -> "paused\n";
            case "resume" -> "resumed\n";
            case "shutdown" -> "shutting down\n";
            case "remove-device" -> "removed\n";
            case "add-disk" -> body instanceof Map<?, ?> m ? "added " + m.get("id") + " at " + m.get("bdf") + "\n"
                : reply.body();
            case "info" -> body instanceof Map<?, ?> m ? info(m) : reply.body();
            case "counters" -> body instanceof Map<?, ?> m ? counters(m) : reply.body();
            default -> body instanceof Map<?, ?> m ? keyValues(m) : reply.body();
        };
    }

    private static String keyValues(Map<?, ?> m) {
        List<String[]> rows = new ArrayList<>();
        m.forEach((k, v) -> rows.add(new String[] {String.valueOf(k), String.valueOf(v)}));
        return columns(rows);
    }

    private static String info(Map<?, ?> m) {
        List<String[]> head = new ArrayList<>();
        List<String[]> devices = new ArrayList<>();
        devices.add(new String[] {"ID", "TYPE", "BDF", "OPTIONS"});
        m.forEach((k, v) -> {
            if (v instanceof List<?> list) {
                for (Object o : list) {
                    if (o instanceof Map<?, ?> d) {
                        StringBuilder opts = new StringBuilder();
                        if (d.get("options") instanceof Map<?, ?> om) {
                            om.forEach((ok, ov) -> opts.append(opts.isEmpty() ? "" : ",").append(ok).append('=')
                                .append(ov));
                        }
                        devices.add(new String[] {String.valueOf(d.get("id")), String.valueOf(d.get("type")),
                            String.valueOf(d.get("bdf")), opts.toString()});
                    }
                }
            } else {
                head.add(new String[] {String.valueOf(k), String.valueOf(v)});
            }
        });
        return columns(head) + "\n" + columns(devices);
    }

    /** One row per counter: SOURCE COUNTER VALUE (devices, agents, vCPUs, exits, queue latencies). */
    private static String counters(Map<?, ?> m) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"SOURCE", "COUNTER", "VALUE"});
        m.forEach((k, v) -> flatten(String.valueOf(k), v, rows));
        return columns(rows);
    }

    private static void flatten(String source, Object v, List<String[]> rows) {
        if (v instanceof Map<?, ?> inner) {
            boolean nested = inner.values().stream().anyMatch(x -> x instanceof Map<?, ?>);
            inner.forEach((k, x) -> {
                if (nested) {
                    flatten(String.valueOf(k), x, rows);
                } else {
                    rows.add(new String[] {source, String.valueOf(k), String.valueOf(x)});
                }
            });
        } else if (v instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                flatten(source.endsWith("s") ? source.substring(0, source.length() - 1) + i : source + i, list.get(i),
                    rows);
            }
        } else {
            rows.add(new String[] {"vm", source, String.valueOf(v)});
        }
    }

    /** Left-aligned columns, two spaces apart; the last column is not padded. */
    private static String columns(List<String[]> rows) {
        int n = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        int[] width = new int[n];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                sb.append(r[i]);
                if (i < r.length - 1) {
                    sb.append(" ".repeat(width[i] - r[i].length() + 2));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
