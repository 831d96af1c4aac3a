package io.vireo.nativeaccel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vireo.sys.Errno;
import io.vireo.sys.Kvm;
import io.vireo.sys.KvmRunLayout;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The vCPU kick against real KVM: a guest spinning in {@code jmp $} must come out of KVM_RUN on every kick. */
class VcpuKickTest {

    /** Generous: a kick returns in tens of microseconds here; this only bounds a hung test. */
    private static final long RESULT_TIMEOUT_MS = 5_000;

    @BeforeAll
    static void requireKvm() {
        final Path kvm = Path.of("/dev/kvm");
        Assumptions.assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm),
            "/dev/kvm is missing or not read-writable for this user: skipping the vCPU kick tests");
    }

    @Test
    void shouldReturnEintrOnEveryOneOfAHundredKicksWhileTheGuestSpins() throws Exception {
        try (SpinningGuest guest = new SpinningGuest(); VcpuRunner vcpu = new VcpuRunner(guest)) {
            final long handle = vcpu.handle();
            for (int i = 0; i < 100; i++) {
                vcpu.go();
                // Mostly give the thread time to get into the guest; every fourth kick races with its entry.
                if (i % 4 != 0) {
                    Thread.sleep(1);
                }
                vcpu.kickSent = true;
                VcpuKick.kick(handle, guest.run);
                final VcpuRunner.Result result = vcpu.awaitResult(RESULT_TIMEOUT_MS);
                assertNotNull(result, "kick " + i + ": KVM_RUN did not return within " + RESULT_TIMEOUT_MS + " ms");
                assertEquals(-Errno.EINTR, result.rc(), "kick " + i + ": KVM_RUN result, exit reason "
                    + Kvm.exitReasonName(result.exitReason()));
                // exit_reason is not checked: KVM sets KVM_EXIT_INTR when the signal interrupts a running vCPU, but
                // leaves it untouched when immediate_exit stops KVM_RUN at entry. Test -EINTR, never exit_reason.
                assertTrue(result.kickSentBeforeReturn(), "kick " + i + ": KVM_RUN returned before the kick was sent"
                    + " (a previous kick was not acknowledged)");
                assertEquals(0, KvmRunLayout.immediateExit(guest.run), "kick " + i + ": immediate_exit cleared");
            }
            assertEquals(SpinningGuest.SPIN_RIP, guest.rip(), "the guest was spinning on its jmp $");
        }
    }

    @Test
    void shouldReturnEintrAtOnceWhenTheKickCameBeforeKvmRun() throws Exception {
        try (SpinningGuest guest = new SpinningGuest(); VcpuRunner vcpu = new VcpuRunner(guest)) {
            final long handle = vcpu.handle();
            // The vCPU thread is parked in user space, not in KVM_RUN: the kick must wait for it.
            VcpuKick.kick(handle, guest.run);
            assertEquals(1, KvmRunLayout.immediateExit(guest.run));
            vcpu.go();
            vcpu.kickSent = true;
            final VcpuRunner.Result early = vcpu.awaitResult(RESULT_TIMEOUT_MS);
            assertNotNull(early, "KVM_RUN did not return although kicked before it started");
            assertEquals(-Errno.EINTR, early.rc());
            assertEquals(1, early.signalsAcknowledged(), "the pending kick signal was consumed");

            // Acknowledged: the next KVM_RUN runs the guest until the next kick, not one moment less.
            vcpu.go();
            Thread.sleep(20);
            vcpu.kickSent = true;
            VcpuKick.kick(handle, guest.run);
            final VcpuRunner.Result next = vcpu.awaitResult(RESULT_TIMEOUT_MS);
            assertNotNull(next);
            assertEquals(-Errno.EINTR, next.rc());
            assertTrue(next.kickSentBeforeReturn(), "KVM_RUN returned before the second kick");
        }
    }

    @Test
    void shouldReturnEintrFromImmediateExitAloneWithNoSignal() throws Exception {
        try (SpinningGuest guest = new SpinningGuest(); VcpuRunner vcpu = new VcpuRunner(guest)) {
            vcpu.handle();
            // What the kick relies on for a thread that is not yet in KVM_RUN, checked without the signal.
            KvmRunLayout.immediateExit(guest.run, (byte) 1);
            vcpu.go();
            vcpu.kickSent = true;
            final VcpuRunner.Result result = vcpu.awaitResult(RESULT_TIMEOUT_MS);
            assertNotNull(result);
            assertEquals(-Errno.EINTR, result.rc());
            assertEquals(0, result.signalsAcknowledged(), "no signal was sent");
        }
    }

    @Test
    void shouldUseARealTimeSignal() {
        final int signal = VcpuKick.signalNumber();
        // glibc: SIGRTMIN = 34, SIGRTMAX = 64.
        assertTrue(signal >= 34 && signal <= 64, "kick signal " + signal);
    }

    @Test
    void shouldRejectASegmentThatIsNotAKvmRun() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment small = arena.allocate(64);
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VcpuKick.acknowledge(small));
            assertEquals("not a kvm_run mapping: native=true, byteSize=64, need " + KvmRunLayout.SIZE,
                e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> VcpuKick.kick(0, MemorySegment.ofArray(new byte[4096])));
        }
    }

    @Test
    void shouldNameTheFdWhenPreparingANonVcpuDescriptor() throws Exception {
        final int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        try {
            final Throwable[] failure = new Throwable[1];
            final Thread thread = Thread.ofPlatform().start(() -> {
                try {
                    VcpuKick.prepareCurrentThread(fd);
                } catch (RuntimeException e) {
                    failure[0] = e;
                }
            });
            thread.join();
            assertNotNull(failure[0]);
            assertEquals("vireo_vcpu_prepare(vcpu_fd=" + fd + "): ENOTTY (25)", failure[0].getMessage());
        } finally {
            Libc.close(fd);
        }
    }
}
