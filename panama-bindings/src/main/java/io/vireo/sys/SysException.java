package io.vireo.sys;

/**
 * A failed system call: the call (with its argument or ioctl request name) and the errno it returned.
 *
 * <p>The message is always {@code "<call>: <ENAME> (<n>)"}, e.g. {@code ioctl(KVM_CREATE_VM): EACCES (13)}, so a
 * log line carries both the symbolic name and the number.
 */
public final class SysException extends RuntimeException {

    private final String call;
    private final int errno;

    /**
     * @param call  what was called, e.g. {@code "open(/dev/kvm)"} or {@code "ioctl(KVM_RUN)"}
     * @param errno the positive errno value
     */
    public SysException(final String call, final int errno) {
        super(call + ": " + Errno.name(errno) + " (" + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    /**
     * Builds the exception for a {@code *Raw} call that returned {@code -errno}.
     *
     * @param call        what was called
     * @param negatedErrno the negative return value of the raw call
     * @return the exception, for the caller to throw
     */
    public static SysException fromRaw(final String call, final long negatedErrno) {
        return new SysException(call, (int) -negatedErrno);
    }

    /** @return what was called, e.g. {@code "ioctl(KVM_RUN)"} */
    public String call() {
        return call;
    }

    /** @return the positive errno value */
    public int errno() {
        return errno;
    }
}
