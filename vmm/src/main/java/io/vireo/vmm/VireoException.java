package io.vireo.vmm;

/**
 * A problem the user can act on (a bad flag, a missing file, an inaccessible /dev/kvm): the CLI prints
 * the message as one line and exits with {@link #exitStatus()}, never with a stack trace.
 */
public class VireoException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitStatus;

    public VireoException(int exitStatus, String message) {
        super(message);
        this.exitStatus = exitStatus;
    }

    public VireoException(int exitStatus, String message, Throwable cause) {
        super(message, cause);
        this.exitStatus = exitStatus;
    }

    public int exitStatus() {
        return exitStatus;
    }
}
