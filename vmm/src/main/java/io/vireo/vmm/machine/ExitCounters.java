package io.vireo.vmm.machine;

import io.vireo.sys.Kvm;

/**
 * User-space exits of one vCPU, by kind. Written only by that vCPU's thread; read after it has
 * been joined (the join is the happens-before edge), so plain longs are enough.
 */
final class ExitCounters {
    /** Kinds we count separately; anything else lands in {@link #OTHER}. */
    static final int IO = 0;
    static final int MMIO = 1;
    static final int HLT = 2;
    static final int SHUTDOWN = 3;
    static final int SYSTEM_EVENT = 4;
    static final int INTR = 5;
    static final int INTERNAL_ERROR = 6;
    static final int FAIL_ENTRY = 7;
    static final int OTHER = 8;
    static final String[] NAMES = {"io", "mmio", "hlt", "shutdown", "system_event", "intr", "internal_error",
        "fail_entry", "other"};

    final long[] counts = new long[NAMES.length];

    static int kindOf(int exitReason) {
        return switch (exitReason) {
            case Kvm.KVM_EXIT_IO -> IO;
            case Kvm.KVM_EXIT_MMIO -> MMIO;
            case Kvm.KVM_EXIT_HLT -> HLT;
            case Kvm.KVM_EXIT_SHUTDOWN -> SHUTDOWN;
            case Kvm.KVM_EXIT_SYSTEM_EVENT -> SYSTEM_EVENT;
            case Kvm.KVM_EXIT_INTR -> INTR;
            case Kvm.KVM_EXIT_INTERNAL_ERROR -> INTERNAL_ERROR;
            case Kvm.KVM_EXIT_FAIL_ENTRY -> FAIL_ENTRY;
            default -> OTHER;
        };
    }

    void addTo(long[] totals) {
        for (int i = 0; i < counts.length; i++) {
            totals[i] += counts[i];
        }
    }
}
