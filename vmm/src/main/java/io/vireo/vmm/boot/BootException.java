package io.vireo.vmm.boot;

/**
 * A kernel, initrd or command line that cannot be booted, with a one-line message meant for the user
 * (it names the file and the numbers, e.g. {@code kernel /x/vmlinux: not an ELF file (bad magic)}).
 */
public final class BootException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BootException(String message) {
        super(message);
    }

    public BootException(String message, Throwable cause) {
        super(message, cause);
    }
}
