package io.vireo.vmm;

/**
 * The process exit statuses of {@code vireo run}. Documented in the README; tests rely on them.
 *
 * <pre>
 *   0        guest powered off (ACPI S5)
 *   odd N    guest wrote v to the exit port 0xf4 (QEMU isa-debug-exit): N = ((v << 1) | 1) &amp; 0xff
 *   2        bad command line or input file (one line on stderr)
 *   3        KVM unavailable: /dev/kvm missing, not accessible, or lacking a needed capability
 *   4        guest reset (i8042 0xFE, reset control 0xCF9, KVM reset event)
 *   6        triple fault (KVM_EXIT_SHUTDOWN)
 *   8        VMM or KVM internal error (emulation failure, failed VM entry, a bug in Vireo)
 *   124      --timeout expired
 *   130/143  stopped by SIGINT / SIGTERM
 * </pre>
 * Odd statuses from the exit port can coincide with 3: a guest that wants a distinct result uses the
 * exit port's other values.
 */
public final class ExitStatus {
    public static final int POWER_OFF = 0;
    public static final int USAGE = 2;
    public static final int KVM_UNAVAILABLE = 3;
    public static final int RESET = 4;
    public static final int TRIPLE_FAULT = 6;
    public static final int INTERNAL_ERROR = 8;
    public static final int TIMEOUT = 124;
    public static final int SIGINT = 130;
    public static final int SIGTERM = 143;

    private ExitStatus() {
    }
}
