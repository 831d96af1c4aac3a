package io.vireo.vmm.machine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A Vireo-side failure on purpose, for the test that checks the nested-lab tests do not retry their way past one
 * (NestedLabFaultTest). Set only by that test, with {@code -Dvireo.test.fault=crash|hang} (through
 * JAVA_TOOL_OPTIONS); without the property, nothing happens. Read once, when the vCPUs are about to start.
 */
final class TestFault {
    static final String PROPERTY = "vireo.test.fault";

    private TestFault() {
    }

    /**
     * {@code crash}: a store to address 16 from Vireo's own code (SIGSEGV; the JVM dies with status 134, as it would
     * of a bad pointer in an FFM call). {@code hang}: the vCPUs never start, so the guest never runs and the VMM never
     * exits, as in a deadlock. Returns whether the vCPUs may start.
     */
    @SuppressWarnings("restricted")
    static boolean beforeVcpusStart() {
        String fault = System.getProperty(PROPERTY, "");
        switch (fault) {
            case "" -> {
                return true;
            }
            case "crash" -> {
                MemorySegment.ofAddress(16).reinterpret(8).set(ValueLayout.JAVA_LONG, 0, 0xdeadL);
                return true;
            }
            case "hang" -> {
                System.err.println("vireo: " + PROPERTY + "=hang: the vCPUs will not start");
                return false;
            }
            default -> throw new IllegalArgumentException(PROPERTY + ": want crash or hang, not " + fault);
        }
    }
}
