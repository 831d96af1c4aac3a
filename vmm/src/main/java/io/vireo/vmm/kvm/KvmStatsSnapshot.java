package io.vireo.vmm.kvm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The values of one KVM stats file at one moment, in descriptor order. Immutable once made.
 *
 * @param schema what each value is
 * @param values one per descriptor (see {@link KvmStatsSchema} for histograms)
 */
public record KvmStatsSnapshot(KvmStatsSchema schema, long[] values) {
    public KvmStatsSnapshot {
        if (values.length != schema.count()) {
            throw new IllegalArgumentException("KVM stats " + schema.id() + ": " + values.length + " values for "
                + schema.count() + " descriptors");
        }
    }

    /** The value of {@code name}; throws if this file has no such statistic. */
    public long get(String name) {
        int i = schema.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("KVM stats " + schema.id() + " has no statistic '" + name + "'");
        }
        return values[i];
    }

    public boolean has(String name) {
        return schema.indexOf(name) >= 0;
    }

    /** Name to value, in descriptor order. */
    public Map<String, Long> asMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            m.put(schema.name(i), values[i]);
        }
        return m;
    }

    /**
     * This minus {@code earlier}, for a window: counters and histograms (sample counts) by difference;
     * instant and peak values, which do not accumulate, as they are now.
     */
    public KvmStatsSnapshot minus(KvmStatsSnapshot earlier) {
        if (earlier.schema != schema) {
            throw new IllegalArgumentException("KVM stats: cannot subtract " + earlier.schema.id() + " from "
                + schema.id());
        }
        long[] d = new long[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = schema.cumulative(i) ? values[i] - earlier.values[i] : values[i];
        }
        return new KvmStatsSnapshot(schema, d);
    }
}
