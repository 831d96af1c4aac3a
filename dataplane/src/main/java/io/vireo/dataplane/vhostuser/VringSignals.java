package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How one vring's device side reaches the front end: a used-buffer interrupt is one {@code write()} to the call
 * eventfd (a KVM irqfd, or QEMU's masked-vector notifier), a broken ring one write to the err eventfd. The fds are
 * read and replaced only on the thread of the agent that owns the ring (replacement is a command to it), so a fd
 * the session closes afterwards is never written again.
 */
final class VringSignals implements VirtioInterrupt {
    private static final System.Logger LOG = System.getLogger(VringSignals.class.getName());
    private final MemorySegment one = Arena.ofAuto().allocate(8, 8);
    private int callFd = -1;
    private int errFd = -1;

    VringSignals() {
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    /** On the owner's thread. Returns the previous call fd, for the caller to close. */
    int swapCall(int fd) {
        int old = callFd;
        callFd = fd;
        return old;
    }

    /** On the owner's thread. Returns the previous err fd, for the caller to close. */
    int swapErr(int fd) {
        int old = errFd;
        errFd = fd;
        return old;
    }

    @Override
    public void signalUsed(int queue) {
        int fd = callFd;
        if (fd >= 0) {
            // A full counter (a front end that never reads) gives EAGAIN on a non-blocking eventfd: still signalled.
            Libc.writeRaw(fd, one, 8);
        }
    }

    @Override
    public void signalConfigChange() {
        // No back-end request channel (BACKEND_REQ is not offered): nothing to send.
    }

    @Override
    public void needsReset(String why) {
        LOG.log(System.Logger.Level.WARNING, "vhost-user: " + why + "; signalled on the vring's err fd");
        int fd = errFd;
        if (fd >= 0) {
            Libc.writeRaw(fd, one, 8);
        }
    }
}
