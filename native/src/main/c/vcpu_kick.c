/*
 * Kicking a vCPU thread out of KVM_RUN.
 *
 * Another thread (a device, the console, "stop the machine") sometimes needs the vCPU thread back in user space
 * now. KVM offers two levers, and we pull both, because each covers a window the other does not:
 *
 *  1. kvm_run->immediate_exit: KVM checks it when KVM_RUN *starts* and returns -EINTR at once if it is set. It
 *     covers a kick that lands while the thread is still in user space, just before it calls KVM_RUN: that kick
 *     must not be lost, and the flag waits for it. But KVM reads the flag only on entry, so it cannot stop a vCPU
 *     that is already running guest code.
 *  2. A signal: while the thread is inside KVM_RUN, a pending unblocked signal forces an exit with -EINTR. This
 *     covers the vCPU that is already in the guest.
 *
 * The signal must interrupt KVM_RUN but never run a handler in Java code or kill the process, so:
 *  - vireo_vcpu_prepare blocks it in the vCPU thread's own mask (it stays pending instead of being delivered),
 *    and gives KVM (KVM_SET_SIGNAL_MASK) the same mask minus the kick signal, which KVM installs only for the
 *    duration of KVM_RUN. So the signal is deliverable exactly while the thread is in KVM_RUN; KVM then returns
 *    -EINTR and restores the blocking mask before going back to user space, so it stays pending, and
 *  - vireo_vcpu_ack consumes it with sigtimedwait (zero timeout), or the next KVM_RUN would return at once.
 *    Real-time signals queue (one entry per kick), so it drains them all.
 *  - a no-op handler is installed once, so that a stray kick signal (kill(2) to the whole process lands on any
 *    thread that does not block it) is ignored instead of terminating the JVM, the default for real-time signals.
 *
 * Which signal: HotSpot installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGPIPE, SIGXFSZ, SIGQUIT,
 * SIGHUP, SIGINT, SIGTERM and SIGUSR2 (thread suspend/resume, also used by JFR), and none of the real-time ones.
 * glibc keeps the two below SIGRTMIN for itself (cancellation, setxid). So any SIGRTMIN + n is free of the JVM;
 * we take SIGRTMIN + 6 rather than SIGRTMIN itself because SIGRTMIN + 0 is what other native libraries reach for
 * first (rust-vmm's vCPU kick, for one). QEMU uses SIGUSR1 for the same job.
 *
 * The protocol for callers: the kicker first publishes why it kicks (a flag, a command in a queue), then kicks.
 * The vCPU thread, when KVM_RUN returns -EINTR, calls vireo_vcpu_ack first and only then looks at the flags. Ack
 * takes immediate_exit with an atomic exchange, which pairs with the kicker's store, so whatever the kicker wrote
 * before kicking is visible to the vCPU thread after ack. A kick that arrives after ack leaves immediate_exit set,
 * so the next KVM_RUN returns at once and the loop looks again: no kick is ever lost, at worst one is seen twice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "vireo_native.h"

/* The layout we rely on: a single byte at offset 1 of struct kvm_run. */
_Static_assert(offsetof(struct kvm_run, immediate_exit) == 1, "kvm_run.immediate_exit must be at offset 1");
_Static_assert(sizeof(((struct kvm_run *) 0)->immediate_exit) == 1, "kvm_run.immediate_exit must be one byte");
/* glibc's pthread_t travels through Java as a u64. */
_Static_assert(sizeof(pthread_t) <= sizeof(uint64_t), "pthread_t must fit in a u64");

/* The kernel's sigset is 64 bits on x86-64; KVM_SET_SIGNAL_MASK rejects any other length with EINVAL. */
#define KERNEL_SIGSET_BYTES 8

#define KICK_SIGNAL_OFFSET 6

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_errno;

int vireo_native_abi_version(void)
{
    return VIREO_NATIVE_ABI_VERSION;
}

int vireo_kick_signal(void)
{
    /* SIGRTMIN is a function call in glibc, not a constant. */
    return SIGRTMIN + KICK_SIGNAL_OFFSET;
}

static void ignore_kick(int sig)
{
    (void) sig;
}

static void install_handler(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = ignore_kick;
    /* SA_RESTART: a stray kick must not make some other thread's read() fail with EINTR. */
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(vireo_kick_signal(), &action, NULL) != 0) {
        handler_errno = errno;
    }
}

int vireo_vcpu_prepare(int vcpu_fd, uint64_t *thread_out)
{
    pthread_once(&handler_once, install_handler);
    if (handler_errno != 0) {
        return -handler_errno;
    }

    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, vireo_kick_signal());

    /* Block the kick in this thread: outside KVM_RUN it may only ever be pending, never delivered. */
    sigset_t before;
    int rc = pthread_sigmask(SIG_BLOCK, &kick, &before);
    if (rc != 0) {
        return -rc;
    }

    /* The mask KVM installs while in KVM_RUN: everything this thread blocks, except the kick. */
    sigset_t during_run = before;
    sigdelset(&during_run, vireo_kick_signal());

    union {
        struct kvm_signal_mask header;
        uint8_t bytes[sizeof(struct kvm_signal_mask) + KERNEL_SIGSET_BYTES];
    } mask;
    mask.header.len = KERNEL_SIGSET_BYTES;
    /* glibc's sigset_t starts with the kernel's 64 bits (bit n-1 = signal n); the rest is unused padding. */
    memcpy(mask.header.sigset, &during_run, KERNEL_SIGSET_BYTES);
    if (ioctl(vcpu_fd, KVM_SET_SIGNAL_MASK, &mask) != 0) {
        rc = errno;
        pthread_sigmask(SIG_SETMASK, &before, NULL);
        return -rc;
    }

    *thread_out = (uint64_t) pthread_self();
    return 0;
}

int vireo_vcpu_kick(uint64_t thread, void *kvm_run)
{
    struct kvm_run *run = kvm_run;
    /*
     * First the flag, then the signal. If the vCPU thread is between loop iterations, the flag stops its next
     * KVM_RUN; if it is in the guest, the signal gets it out. SEQ_CST so that the flag store is ordered before
     * the signal and after whatever the kicker wrote to say why it kicks.
     */
    __atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    int rc = pthread_kill((pthread_t) thread, vireo_kick_signal());
    return -rc;
}

int vireo_vcpu_ack(void *kvm_run)
{
    struct kvm_run *run = kvm_run;
    /*
     * Clear the flag before draining the signal: a kick racing with us then either sets the flag after this
     * exchange (the next KVM_RUN returns at once) or its signal is drained here, after its flag store, which
     * the exchange has already observed. Either way the caller sees the kicker's intent.
     */
    __atomic_exchange_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);

    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, vireo_kick_signal());
    const struct timespec no_wait = { 0, 0 };
    int consumed = 0;
    for (;;) {
        int sig = sigtimedwait(&kick, NULL, &no_wait);
        if (sig >= 0) {
            consumed++;
        } else if (errno == EAGAIN) {
            return consumed;
        } else if (errno != EINTR) {
            return -errno;
        }
    }
}
